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
    from bot.privacy.redaction import redact

    redacted = redact(text)
    # redact answers in the normalised (lower-case) form: a line that held no secret is kept
    # exactly as it was, so ids, class names and paths stay readable.
    return text if redacted == normalize(text).text else redacted


def _keep_numbers(arg: object) -> object:
    """A log argument as it may be shown: numbers as they are, anything else redacted."""
    if isinstance(arg, (bool, int, float)):
        return arg
    return _redacted(str(arg))


class RedactingFilter(logging.Filter):
    """Replaces a record's rendered message with its redacted form (and its traceback, line
    by line, so file names and line numbers stay readable). A record that passes two handlers
    is redacted once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):  # a second handler sees the record already redacted
            return True
        if record.args and isinstance(record.msg, str):
            # The format string is the code's own; what may come from a user is in the arguments.
            # Numbers the code computed (counts, scores, seconds) stay readable.
            args = record.args
            safe = {k: _keep_numbers(v) for k, v in args.items()} if isinstance(args, dict) else tuple(
                _keep_numbers(a) for a in args)
            record.msg, record.args = record.msg % safe, None
        else:
            record.msg, record.args = _redacted(record.getMessage()), None
        record.redacted = True
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
