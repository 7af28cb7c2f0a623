"""Logs never keep a card number, an IIN, a phone number or a code.

A log line may quote what a user sent (an exception about their message, a library's debug
output), and at LOG_LEVEL=DEBUG aiosqlite logs every statement with its parameters, the
checked text among them. So every record passes through `redact` on its way to any root
handler, and aiosqlite's statement logging stays off whatever the level.
"""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
_MIN_SECRET_DIGITS = 4  # redact replaces runs of 4+ digits only: a line with fewer has nothing to hide
_TRACEBACKS = logging.Formatter()


def _redacted(text: str) -> str:
    if sum(ch.isdigit() for ch in text) < _MIN_SECRET_DIGITS:
        return text
    # Here, not at the top: these load the classifier package, and `python -m bot healthcheck`
    # must stay cheap.
    from bot.classifier.normalize import normalize
    from bot.privacy import redact

    redacted = redact(text)
    # redact answers in the normalised (lower-case) form: a line that held no secret is kept
    # exactly as it was, so ids, class names and paths stay readable.
    return text if redacted == normalize(text).text else redacted


class RedactingFilter(logging.Filter):
    """Replaces a record's rendered message with its redacted form (and its traceback, line
    by line, so file names and line numbers stay readable). Redacting is idempotent, so a
    record that passes two handlers is not harmed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _redacted(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = "\n".join(_redacted(line) for line in record.exc_text.split("\n"))
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """A RedactingFilter on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def configure_logging(level: str | int, handler: logging.Handler | None = None) -> logging.Handler:
    """The process's logging: one handler on the root logger (stderr unless given), records
    redacted, aiosqlite's per-statement debug output off; returns the handler."""
    handler = handler or logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    install_redaction(root)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines carry every SQL parameter
    if logging.getLevelName(root.level) != "DEBUG":  # aiogram logs every handled update at INFO: noise at scale
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    return handler
