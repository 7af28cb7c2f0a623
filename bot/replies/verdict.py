"""Verdict → the answer a person reads, in Kazakh or Russian.

Plain text for a terminal, or Telegram HTML (every piece escaped, banners and headings in
bold). Links quoted from the user's message are defanged ("kaspi-bonus[.]top") so nobody
taps them.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.knowledge.schema import Lang
from bot.classifier.links import LinkInspector
from bot.classifier.verdict import Flag, Verdict
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Contact, Localized, Scheme

Detail = Literal["todo", "report", "why"]
QUOTE_LIMIT = 70
# The first answer to a scam fits a phone screen without scrolling past the verdict line.
SHORT_ANSWER_LIMIT = 600  # characters a person reads (HTML tags not counted)
SHORT_QUOTE_LIMIT = 40
FIRST_FLAGS = 2
FIRST_STEPS = 3


@dataclass(frozen=True)
class Explained:
    """What the detail answers need, ids only, so they can be rebuilt from a stored check
    (which never keeps the user's words): the scheme, a close second one, the channel, the
    red flags found and why the verdict is hedged."""

    scheme: str
    alternative: str | None = None
    channel: str | None = None
    flags: tuple[str, ...] = ()
    why: tuple[str, ...] = ()

    @classmethod
    def of(cls, verdict: Verdict) -> Explained | None:
        """None for a verdict that names no scheme (nothing to explain in detail)."""
        if verdict.scheme is None:
            return None
        return cls(verdict.scheme, verdict.alternative, verdict.channel,
                   tuple(dict.fromkeys(f.id for f in verdict.red_flags if f.weight > 0)), tuple(verdict.why))


class ReplyRenderer:
    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge
        self.links = LinkInspector(knowledge.links)
        self.flag_titles = {s.id: s.title for s in knowledge.signals.signals} | {
            k: v.title for k, v in knowledge.signals.structural.items()
        }
        self.flag_weights = {s.id: s.weight for s in knowledge.signals.signals} | {
            k: v.weight for k, v in knowledge.signals.structural.items()
        }
        # a contact named in a step by its number ("102", "1400"), each number once
        self._numbered = [(c.id, re.compile(rf"(?<!\d){re.escape(c.number)}(?!\d)"))
                          for c in knowledge.contacts.values() if c.number and c.showable]

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

        Four shapes: a scam, short (banner, the scheme in one line, its 1–2 strongest red
        flags, three steps for this scheme and channel; the rest is behind the buttons, see
        ``details``); a genuine warning about fraud (an information banner and the scheme it
        warns about, never a red one and never red flags); "I can't tell" (why, and how to
        check it yourself); and calm.
        """
        if verdict.kind == "fraud_warning":
            lines = self._warning(verdict, lang)
        elif verdict.kind == "unsure":
            lines = self._unsure(verdict, lang)
        else:
            lines = self._risk(verdict, lang)
        return _join(lines, html)

    def _why(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        return [(f"• {self.knowledge.replies.why[reason].get(lang)}", False) for reason in dict.fromkeys(verdict.why)]

    def _risk(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        knowledge = self.knowledge
        frame = knowledge.replies
        lines: list[tuple[str, bool]] = [(getattr(frame.risk, verdict.risk).get(lang), True)]
        scheme = knowledge.schemes.get(verdict.scheme) if verdict.scheme else None
        if scheme and verdict.is_scam:
            lines.append((self._scheme_line(scheme, verdict.alternative, lang), False))
        # A green "no signs of fraud" over a list of red flags contradicts itself: flags go with a
        # scam or with the yellow "be careful", never under green.
        flags = self.strongest_flags(verdict) if verdict.risk != "none" else []
        tail: list[tuple[str, bool]] = []
        if scheme and verdict.is_scam:
            tail.extend([("", False), (frame.todo_heading.get(lang), True)])
            tail.extend((f"{n}. {step}", False)
                        for n, step in enumerate(self.first_steps(scheme.id, verdict.channel, lang), 1))
        else:
            tail.append(("", False))
            tail.extend((f"• {tip}", False) for tip in frame.calm_advice.get(lang))
        # As many of the strongest flags as the phone screen leaves room for (at least one).
        for count in range(len(flags), 0, -1):
            shown = [("", False), (frame.flags_heading.get(lang), True)]
            shown.extend((f"• {self.flag_titles[f.id].get(lang)}: «{self.quote(f.quote, SHORT_QUOTE_LIMIT)}»", False)
                         for f in flags[:count])
            if count == 1 or not (scheme and verdict.is_scam) or _length([*lines, *shown, *tail]) <= SHORT_ANSWER_LIMIT:
                lines.extend(shown)
                break
        return [*lines, *tail]

    @staticmethod
    def strongest_flags(verdict: Verdict, limit: int = FIRST_FLAGS) -> list[Flag]:
        """The red flags that weigh most, one per piece of the text (a look-alike link that
        is also in a risky zone is quoted once)."""
        chosen: list[Flag] = []
        for flag in sorted((f for f in verdict.red_flags if f.weight > 0), key=lambda f: -f.weight):
            if not any(flag.start < c.end and c.start < flag.end for c in chosen):
                chosen.append(flag)
            if len(chosen) == limit:
                break
        return chosen

    def _scheme_line(self, scheme: Scheme, alternative: str | None, lang: Lang) -> str:
        frame = self.knowledge.replies
        if alternative and alternative in self.knowledge.schemes:
            return frame.ambiguous_line.get(lang).format(
                first=scheme.title.get(lang), second=self.knowledge.schemes[alternative].title.get(lang))
        return frame.scheme_line.get(lang).format(title=scheme.title.get(lang))

    # --- steps and contacts for a scheme and the channel the message came by ---------------

    def steps(self, scheme_id: str, channel: str | None, lang: Lang) -> list[str]:
        """Every step for this scheme, in order. The channel's first steps lead (a scheme's
        own steps for that channel replace them); a scheme step meant for another channel
        ("hang up" for an SMS) is left out. No channel known: the scheme's steps as they are."""
        scheme = self.knowledge.schemes[scheme_id]
        found = self.knowledge.channels.get(channel) if channel else None
        if found is None:
            chosen: list[Localized] = list(scheme.what_to_do)
        else:
            own = [s for s in scheme.what_to_do if s.channel == found.id]
            chosen = [*(own or found.steps), *(s for s in scheme.what_to_do if s.channel is None)]
        return list(dict.fromkeys(step.get(lang) for step in chosen))

    def first_steps(self, scheme_id: str, channel: str | None, lang: Lang) -> list[str]:
        """The three most important steps, each contact named once: a step that names a contact
        an earlier one already named is skipped (it is in "what to do" behind the button)."""
        chosen: list[str] = []
        named: set[str] = set()
        for step in self.steps(scheme_id, channel, lang):
            mentions = self.mentions(step, lang)
            if mentions & named:
                continue
            chosen.append(step)
            named |= mentions
            if len(chosen) == FIRST_STEPS:
                break
        return chosen

    def mentions(self, text: str, lang: Lang) -> set[str]:
        """The contacts a text names: by number, or the bank by "the number on your card"."""
        found = {cid for cid, pattern in self._numbered if pattern.search(text)}
        folded = text.casefold()
        if any(phrase.casefold() in folded for phrase in self.knowledge.replies.bank_mentions.get(lang)):
            found.add("bank_card_back")
        return found

    def contacts(self, scheme_id: str, channel: str | None) -> list[Contact]:
        """Where to report: the channel's contacts first (1400 for a link, the platform for a
        listing), then the scheme's, each once, only those that may be shown."""
        found = self.knowledge.channels.get(channel) if channel else None
        ids = [*(found.contacts if found else []), *self.knowledge.schemes[scheme_id].report_via]
        return [self.knowledge.contacts[c] for c in dict.fromkeys(ids) if self.knowledge.contacts[c].showable]

    # --- the answers behind the buttons under a scam's short answer ------------------------

    def details(self, what: Detail, about: Explained, lang: Lang, *, html: bool = False) -> str | None:
        """"What to do" (every step), "where to report" (the contacts) or "why I think so" (the
        scheme, how it came, the red flags found, hedges, and how the scheme is recognised).
        None when the scheme is no longer in the knowledge base."""
        scheme = self.knowledge.schemes.get(about.scheme)
        if scheme is None:
            return None
        frame = self.knowledge.replies
        lines: list[tuple[str, bool]]
        if what == "todo":
            lines = [(frame.todo_heading.get(lang), True)]
            lines.extend((f"{n}. {step}", False) for n, step in enumerate(self.steps(scheme.id, about.channel, lang), 1))
        elif what == "report":
            lines = [(frame.report_heading.get(lang), True)]
            lines.extend((f"• {c.text.get(lang)}", False) for c in self.contacts(scheme.id, about.channel))
        else:
            lines = [(frame.why_heading.get(lang), True), (self._scheme_line(scheme, about.alternative, lang), False),
                     (scheme.summary.get(lang), False)]
            channel = self.knowledge.channels.get(about.channel) if about.channel else None
            if channel:
                lines.append((frame.channel_line.get(lang).format(channel=channel.title.get(lang)), False))
            lines.extend((f"• {frame.why[reason].get(lang)}", False)
                         for reason in dict.fromkeys(about.why) if reason in frame.why)
            flags = sorted((f for f in dict.fromkeys(about.flags) if self.flag_weights.get(f, 0) > 0),
                           key=lambda f: -self.flag_weights[f])
            if flags:
                lines.extend([("", False), (frame.found_heading.get(lang), True)])
                lines.extend((f"• {self.flag_titles[f].get(lang)}", False) for f in flags)
            lines.extend([("", False), (frame.signs_heading.get(lang), True)])
            lines.extend((f"• {sign.get(lang)}", False) for sign in scheme.red_flags)
        return _join(lines, html)

    def _warning(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        frame = self.knowledge.replies
        lines: list[tuple[str, bool]] = [(frame.fraud_warning.get(lang), True)]
        scheme = self.knowledge.schemes.get(verdict.warns_about) if verdict.warns_about else None
        if scheme:
            lines.extend([("", False), (frame.warning_about.get(lang).format(title=scheme.title.get(lang)), False),
                          (scheme.summary.get(lang), False)])
        lines.append(("", False))
        lines.extend((f"• {tip}", False) for tip in frame.warning_advice.get(lang))
        lines.extend((f"• {tip}", False) for tip in frame.calm_advice.get(lang))
        return lines

    def _unsure(self, verdict: Verdict, lang: Lang) -> list[tuple[str, bool]]:
        frame = self.knowledge.replies
        lines: list[tuple[str, bool]] = [(frame.unsure.get(lang), True)]
        lines.extend(self._why(verdict, lang))
        lines.extend([("", False), (frame.how_to_check_heading.get(lang), True)])
        lines.extend((f"{n}. {step}", False) for n, step in enumerate(frame.how_to_check.get(lang), 1))
        return lines

    def _contact_lines(self, contact_ids: list[str], lang: Lang) -> list[str]:
        return [f"• {self.knowledge.contacts[c].text.get(lang)}" for c in contact_ids if self.knowledge.contacts[c].showable]

    def already_paid(self, lang: Lang, *, html: bool = False) -> str:
        """The urgent steps for someone who already sent money or a code."""
        flow = self.knowledge.help.already_paid
        esc = _escaper(html)
        lines = [_bold(esc(flow.title.get(lang)), html), ""]
        lines.extend(f"{n}. {esc(step.get(lang))}" for n, step in enumerate(flow.steps, 1))
        lines.append("")
        lines.extend(esc(line) for line in self._contact_lines(flow.contacts, lang))
        lines.extend(["", _italic(esc(flow.reassurance.get(lang)), html)])
        return "\n".join(lines)

    def faq_answer(self, faq_id: str, lang: Lang, *, html: bool = False) -> str | None:
        """A FAQ answer with its contacts; None for an id that is not in the knowledge base."""
        entry = next((e for e in self.knowledge.help.faq if e.id == faq_id), None)
        if entry is None:
            return None
        esc = _escaper(html)
        lines = [_bold(esc(entry.question.get(lang)), html), "", esc(entry.answer.get(lang))]
        contacts = self._contact_lines(entry.contacts, lang)
        if contacts:
            lines.append("")
            lines.extend(esc(line) for line in contacts)
        return "\n".join(lines)


def _length(lines: Iterable[tuple[str, bool]]) -> int:
    """What a person reads: the characters of the plain text (HTML tags are not seen)."""
    return len(_join(lines, html=False))


def _join(lines: Iterable[tuple[str, bool]], html: bool) -> str:
    esc = _escaper(html)
    return "\n".join(_bold(esc(text), html) if bold else esc(text) for text, bold in lines)


def _escaper(html: bool) -> Callable[[str], str]:
    return (lambda text: html_lib.escape(text, quote=False)) if html else (lambda text: text)


def _bold(text: str, html: bool) -> str:
    return f"<b>{text}</b>" if html and text else text


def _italic(text: str, html: bool) -> str:
    return f"<i>{text}</i>" if html and text else text
