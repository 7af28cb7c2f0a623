"""/stats for officers as text and as a PNG chart (checks per scheme per day)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict

from aiogram.utils.i18n import gettext as _

from bot.i18n import Lang
from bot.knowledge import KnowledgeBase

TOP_SCHEMES = 6


def subscribers_text(rows: list[tuple[str | None, str, int]], knowledge: KnowledgeBase, lang: Lang) -> str:
    by_region: dict[str | None, Counter[str]] = defaultdict(Counter)
    for region, language, count in rows:
        by_region[region][language] += count
    total = sum(count for *_, count in rows)
    lines = [_("Subscribers: {n}").format(n=total)]
    for region_id, region in [*knowledge.regions.items(), (None, None)]:
        counts = by_region.get(region_id)
        if counts:
            name = region.name.get(lang) if region else _("no region")
            lines.append(f"• {name}: {sum(counts.values())} (kk {counts['kk']}, ru {counts['ru']})")
    return "\n".join(lines)


def checks_text(week: list[tuple[str, str, int]], month: list[tuple[str, str, int]], knowledge: KnowledgeBase,
                lang: Lang) -> str:
    last7, last30 = Counter(), Counter()
    for _day, scheme, count in week:
        last7[scheme] += count
    for _day, scheme, count in month:
        last30[scheme] += count
    lines = [_("Fraud checks by scheme: 7 days / 30 days")]
    for scheme, count in last30.most_common():
        title = knowledge.schemes[scheme].title.get(lang) if scheme in knowledge.schemes else scheme
        lines.append(f"• {title}: {last7[scheme]} / {count}")
    if not last30:
        lines.append(_("No fraud checks yet."))
    return "\n".join(lines)


def checks_chart(rows: list[tuple[str, str, int]], days: int, knowledge: KnowledgeBase, lang: Lang,
                 today: dt.date) -> bytes:
    """Stacked bars: one per day, split by the most frequent schemes (the rest as 'other')."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib import pyplot as plt

    dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    totals = Counter()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for day, scheme, count in rows:
        per_day[day][scheme] += count
        totals[scheme] += count
    top = [scheme for scheme, _n in totals.most_common(TOP_SCHEMES)]
    fig, ax = plt.subplots(figsize=(13, 5), dpi=100)
    bottom = [0] * len(dates)
    for scheme in [*top, None]:
        values = [sum(c for s, c in per_day[d.isoformat()].items() if (s == scheme if scheme else s not in top))
                  for d in dates]
        label = (knowledge.schemes[scheme].title.get(lang) if scheme in knowledge.schemes else scheme) if scheme else _("other")
        ax.bar([d.strftime("%d.%m") for d in dates], values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(_("Fraud checks per day, last {days} days").format(days=days))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, never over them
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
