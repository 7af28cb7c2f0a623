"""The answers of a conversation that are not verdicts, in Kazakh or Russian, as Telegram HTML.

The urgent path for one thing already given away (money, a code, an app, card details), a
follow-up answered in the context of the last verdict, a greeting, thanks, an emoji, "I don't
understand", a question without a FAQ answer. Every text comes from knowledge/
(`conversation.yaml`, `help.yaml`, the schemes, `contacts.yaml`), escaped here; the verdict
itself stays `bot/replies/verdict.py`'s.
"""

from __future__ import annotations

import html
from typing import Literal

from bot.knowledge.schema import Lang
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Localized

PaidKind = Literal["money", "code", "app", "card"]
Social = Literal["hello", "thanks", "emoji"]
FollowupKind = Literal["not_yet", "again", "now"]
NotYetObject = Literal["money", "code", "app", "card", "none"]
FOLLOWUP_STEPS = 3  # the scheme's first steps: the most important ones, on one screen


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _bold(text: str) -> str:
    return f"<b>{_esc(text)}</b>"


class ConversationReplies:
    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge
        self.texts = knowledge.conversation

    def _contacts(self, ids: list[str], lang: Lang) -> list[str]:
        return [f"• {_esc(self.knowledge.contacts[c].text.get(lang))}" for c in ids if self.knowledge.contacts[c].showable]

    def paid(self, kind: PaidKind, lang: Lang) -> str:
        """The urgent path: the calls (verified contacts only), the other steps, /paid for all."""
        path = self.knowledge.help.paid_by_kind[kind]
        lines = [_bold(path.title.get(lang)), "", *self._contacts(path.contacts, lang), ""]
        lines.extend(f"{n}. {_esc(step.get(lang))}" for n, step in enumerate(path.steps, 1))
        if path.reassurance is not None:
            lines.extend(["", f"<i>{_esc(path.reassurance.get(lang))}</i>"])
        lines.extend(["", _esc(self.texts.more_paid.get(lang))])
        return "\n".join(lines)

    def social(self, kind: Social, lang: Lang) -> str:
        """A short friendly answer that also says what the bot is for."""
        head = getattr(self.texts.social, kind).get(lang)
        tail = self.texts.can_do if kind == "hello" else self.texts.can_do_short
        return f"{_esc(head)}\n\n{_esc(tail.get(lang))}"

    def not_understood(self, lang: Lang) -> str:
        return f"{_esc(self.texts.not_understood.get(lang))}\n\n{_esc(self.texts.can_do.get(lang))}"

    def no_faq(self, lang: Lang) -> str:
        """Goes with the list of FAQ buttons."""
        return _esc(self.texts.no_faq.get(lang))

    def followup(self, scheme_id: str, kind: FollowupKind, lang: Lang, said: NotYetObject = "none") -> str:
        """A follow-up to a verdict that named ``scheme_id``: the scheme as a heading, a line that
        answers what the person said ("you have not told the code — good"; "if they call
        again"; "what to do now"), then the scheme's own first steps; after "if they call
        again", also how to report that sender (the operator, the messenger, the marketplace)."""
        scheme = self.knowledge.schemes[scheme_id]
        frame = self.texts.followup
        intro: Localized
        match kind:
            case "not_yet":
                intro = frame.not_yet.said[said]
            case "again":
                intro = frame.again.intro
            case _:
                intro = frame.now
        lines = [_bold(frame.heading.get(lang).format(title=scheme.title.get(lang))), "", _esc(intro.get(lang))]
        lines.extend(f"{n}. {_esc(step.get(lang))}" for n, step in enumerate(scheme.what_to_do[:FOLLOWUP_STEPS], 1))
        if kind == "again":  # and how to stop that sender, where the scheme reports through it
            stop = [c for c in frame.again.contacts if c in scheme.report_via]
            if stop:
                lines.extend(["", *self._contacts(stop, lang)])
        return "\n".join(lines)

    def followup_benign(self, lang: Lang) -> str:
        """A follow-up to a verdict that saw no fraud: how to check it yourself."""
        replies = self.knowledge.replies
        lines = [_esc(self.texts.followup.benign.get(lang))]
        lines.extend(f"{n}. {_esc(step)}" for n, step in enumerate(replies.how_to_check.get(lang), 1))
        return "\n".join(lines)
