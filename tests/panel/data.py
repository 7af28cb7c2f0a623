"""What the dashboard shows, made the way the bot makes it: people with regions and languages,
their checks judged by the real classifier and stored by ChecksRepo (the schema's trigger
counts them for the overview), a wave stored by WavesRepo, a report, a disputed check in the
review queue, an alert submitted and a draft."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.alerts import BroadcastsRepo
from bot.classifier.identifiers import find_identifiers
from bot.services.alerts import AlertService
from bot.storage import Repositories
from bot.storage.waves import WaveDraft
from tests.panel.conftest import OFFICER, SECOND

# A parcel scam in both languages, as three regions' people forwarded it (variants of one text).
WAVE_TEXTS = {
    "kk": "Сәлеметсіз бе! Сіздің сәлемдемеңіз қоймада тұр. Жеткізу үшін 990 теңге төлеңіз: kazpost-kz.top/pay",
    "ru": "Здравствуйте! Ваша посылка на складе. Для доставки оплатите 990 тг: kazpost-kz.top/pay",
}
ORDINARY = {"kk": "Сәлем, кешке үйге ерте келемін", "ru": "Привет, вечером приду пораньше"}
PEOPLE = [(7101 + n, ("kk", "ru")[n % 2], ("kostanay", "turkestan", "atyrau")[n % 3]) for n in range(9)]
ALERT_KK = "Қостанайда «Қазпошта» атынан хат жіберіп, ақша сұрайды. Төлемеңіз! Толығырақ: https://egov.kz/cms/kk"
ALERT_RU = ("В Костанае присылают письма от имени «Казпочты» и просят оплату. Не платите! "
            "Подробнее: https://egov.kz/cms/ru")


@dataclass
class Filled:
    wave_id: int
    draft_id: int
    submitted_id: int
    check_ids: list[int]


async def fill(repos: Repositories, classifier, alerts: AlertService | None = None,
               broadcasts: BroadcastsRepo | None = None) -> Filled:
    check_ids: list[int] = []
    wave_members: list[int] = []
    for user_id, lang, region in PEOPLE:
        await repos.users.touch(user_id)
        await repos.users.set_language(user_id, lang)
        await repos.users.set_region(user_id, region)
        for text in (WAVE_TEXTS[lang], ORDINARY[lang]):
            check_id = await repos.checks.add(user_id, text, "forward", classifier.classify(text))
            check_ids.append(check_id)
            if text == WAVE_TEXTS[lang]:
                wave_members.append(check_id)
    now = time.time()
    wave_id, _new = await repos.waves.upsert(WaveDraft(
        representative=WAVE_TEXTS["ru"], scheme="delivery_parcel", users=len(PEOPLE), checks=len(PEOPLE),
        regions=("kostanay", "turkestan", "atyrau"), languages=("kk", "ru"), first_seen=now - 3000, last_seen=now,
        per_hour=6.0), wave_members, now)
    await repos.reports.report(PEOPLE[0][0], find_identifiers("kazpost-kz.top"), PEOPLE[0][2])
    await repos.reviews.enqueue_check(check_ids[1], "disputed")
    draft_id = submitted_id = 0
    if alerts is not None and broadcasts is not None:
        submitted_id = (await alerts.submit(SECOND, ALERT_KK, ALERT_RU, ("kostanay",), "delivery_parcel")).broadcast.id
        draft_id = await broadcasts.draft(OFFICER, ALERT_KK, ALERT_RU, ("kostanay",), "delivery_parcel")
    return Filled(wave_id, draft_id, submitted_id, check_ids)
