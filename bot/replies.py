"""Verdict → the answer a person reads, in Kazakh or Russian.

Plain text for a terminal, or Telegram HTML (every piece escaped, banners and headings in
bold). Links quoted from the user's message are defanged ("kaspi-bonus[.]top") so nobody
taps them.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from typing import Literal

from bot.classifier.links import LinkInspector
from bot.classifier.verdict import Verdict
from bot.knowledge import KnowledgeBase

Lang = Literal["kk", "ru"]
QUOTE_LIMIT = 70


class ReplyRenderer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.links = LinkInspector(kb.links)
        self.flag_titles = {s.id: s.title for s in kb.signals.signals} | {
            k: v.title for k, v in kb.signals.structural.items()
        }

    def language_for(self, verdict: Verdict, preferred: Lang | None = None) -> Lang:
        return preferred or verdict.reply_language

    def quote(self, text: str, limit: int = QUOTE_LIMIT) -> str:
        """The user's own words on one line, cut at ``limit`` characters, links defanged
        (plain text: escape it for HTML)."""
        text = " ".join(text.split())
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        return self.links.defang_text(text)

    def render(self, verdict: Verdict, lang: Lang, *, html: bool = False) -> str:
        """The whole answer; with ``html=True`` ready for Telegram's HTML parse mode.

        Four shapes: a scam (banner, scheme, red flags, what to do, where to report); a
        genuine warning about fraud (an information banner and the scheme it warns about,
        never a red one); "I can't tell" (why, and how to check it yourself); and calm.
        """
        if verdict.kind == "fraud_warning":
            lines = self._warning(verdict, lang)
        elif verdict.kind == "unsure":
            lines = self._unsure(verdict, lang)
        else:
            lines = self._risk(verdict, lang)
        esc = _escaper(html)
        return "\n".join(_bold(esc(text), html) if bold else esc(text) for text, bold in lines)

    def _why(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        return [(f"• {self.kb.replies.why[reason].get(lang)}", False) for reason in dict.fromkeys(verdict.why)]

    def _risk(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        kb = self.kb
        frame = kb.replies
        lines: list[tuple[str, bool]] = [(getattr(frame.risk, verdict.risk).get(lang), True)]

        def section(heading: str, items: list[str]) -> None:
            lines.extend([("", False), (heading, True)])
            lines.extend((item, False) for item in items)

        scheme = kb.schemes.get(verdict.scheme) if verdict.scheme else None
        if scheme and verdict.is_scam:
            lines.append(("", False))
            if verdict.alternative and verdict.alternative in kb.schemes:
                lines.append((frame.ambiguous_line.get(lang).format(
                    first=scheme.title.get(lang), second=kb.schemes[verdict.alternative].title.get(lang)), False))
            lines.append((frame.scheme_line.get(lang).format(
                title=scheme.title.get(lang), summary=scheme.summary.get(lang)), False))
            lines.extend(self._why(verdict, lang))
        flags = [f for f in verdict.red_flags if f.weight > 0]
        if flags:
            section(frame.flags_heading.get(lang),
                    [f"• {self.flag_titles[f.id].get(lang)}: «{self.quote(f.quote)}»" for f in flags])
        if scheme and verdict.is_scam:
            section(frame.todo_heading.get(lang),
                    [f"{n}. {step.get(lang)}" for n, step in enumerate(scheme.what_to_do, 1)])
            contacts = [kb.contacts[c] for c in scheme.report_via if kb.contacts[c].showable]
            section(frame.report_heading.get(lang), [f"• {c.text.get(lang)}" for c in contacts])
        else:
            lines.append(("", False))
            lines.extend((f"• {tip}", False) for tip in frame.calm_advice.get(lang))
        return lines

    def _warning(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        frame = self.kb.replies
        lines: list[tuple[str, bool]] = [(frame.fraud_warning.get(lang), True)]
        scheme = self.kb.schemes.get(verdict.warns_about) if verdict.warns_about else None
        if scheme:
            lines.extend([("", False), (frame.warning_about.get(lang).format(title=scheme.title.get(lang)), False),
                          (scheme.summary.get(lang), False)])
        lines.append(("", False))
        lines.extend((f"• {tip}", False) for tip in frame.warning_advice.get(lang))
        lines.extend((f"• {tip}", False) for tip in frame.calm_advice.get(lang))
        return lines

    def _unsure(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        frame = self.kb.replies
        lines: list[tuple[str, bool]] = [(frame.unsure.get(lang), True)]
        lines.extend(self._why(verdict, lang))
        lines.extend([("", False), (frame.how_to_check_heading.get(lang), True)])
        lines.extend((f"{n}. {step}", False) for n, step in enumerate(frame.how_to_check.get(lang), 1))
        return lines

    def _contact_lines(self, contact_ids: list[str], lang: Lang) -> list[str]:
        return [f"• {self.kb.contacts[c].text.get(lang)}" for c in contact_ids if self.kb.contacts[c].showable]

    def already_paid(self, lang: Lang, *, html: bool = False) -> str:
        """The urgent steps for someone who already sent money or a code."""
        flow = self.kb.help.already_paid
        esc = _escaper(html)
        lines = [_bold(esc(flow.title.get(lang)), html), ""]
        lines.extend(f"{n}. {esc(step.get(lang))}" for n, step in enumerate(flow.steps, 1))
        lines.append("")
        lines.extend(esc(line) for line in self._contact_lines(flow.contacts, lang))
        lines.extend(["", _italic(esc(flow.reassurance.get(lang)), html)])
        return "\n".join(lines)

    def faq_answer(self, faq_id: str, lang: Lang, *, html: bool = False) -> str | None:
        """A FAQ answer with its contacts; None for an id that is not in the knowledge base."""
        entry = next((e for e in self.kb.help.faq if e.id == faq_id), None)
        if entry is None:
            return None
        esc = _escaper(html)
        lines = [_bold(esc(entry.question.get(lang)), html), "", esc(entry.answer.get(lang))]
        contacts = self._contact_lines(entry.contacts, lang)
        if contacts:
            lines.append("")
            lines.extend(esc(line) for line in contacts)
        return "\n".join(lines)


def _escaper(html: bool) -> Callable[[str], str]:
    return (lambda text: html_lib.escape(text, quote=False)) if html else (lambda text: text)


def _bold(text: str, html: bool) -> str:
    return f"<b>{text}</b>" if html and text else text


def _italic(text: str, html: bool) -> str:
    return f"<i>{text}</i>" if html and text else text
