"""Verdict → the answer a person reads, in Kazakh or Russian.

Plain text (no markup), so it can go to Telegram, a terminal or a web page as it is. Links
quoted from the user's message are defanged ("kaspi-bonus[.]top") so nobody taps them.
"""

from __future__ import annotations

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

    def _quote(self, text: str) -> str:
        text = " ".join(text.split())
        if len(text) > QUOTE_LIMIT:
            text = text[: QUOTE_LIMIT - 1].rstrip() + "…"
        return self.links.defang_text(text)

    def render(self, verdict: Verdict, lang: Lang) -> str:
        kb = self.kb
        frame = kb.replies
        lines = [getattr(frame.risk, verdict.risk).get(lang)]
        scheme = kb.schemes.get(verdict.scheme) if verdict.scheme else None
        if scheme and verdict.is_scam:
            lines.append("")
            if verdict.alternative and verdict.alternative in kb.schemes:
                lines.append(frame.ambiguous_line.get(lang).format(
                    first=scheme.title.get(lang), second=kb.schemes[verdict.alternative].title.get(lang)))
            lines.append(frame.scheme_line.get(lang).format(title=scheme.title.get(lang), summary=scheme.summary.get(lang)))
        flags = [f for f in verdict.red_flags if f.weight > 0]
        if flags:
            lines.extend(["", frame.flags_heading.get(lang)])
            lines.extend(f"• {self.flag_titles[f.id].get(lang)}: «{self._quote(f.quote)}»" for f in flags)
        if scheme and verdict.is_scam:
            lines.extend(["", frame.todo_heading.get(lang)])
            lines.extend(f"{n}. {step.get(lang)}" for n, step in enumerate(scheme.what_to_do, 1))
            contacts = [kb.contacts[c] for c in scheme.report_via if kb.contacts[c].showable]
            lines.extend(["", frame.report_heading.get(lang)])
            lines.extend(f"• {c.text.get(lang)}" for c in contacts)
        else:
            lines.append("")
            lines.extend(f"• {tip}" for tip in frame.calm_advice.get(lang))
        return "\n".join(lines)
