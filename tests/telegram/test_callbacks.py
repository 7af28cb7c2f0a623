"""Every inline button fits Telegram's 64-byte callback_data limit, for every id in knowledge/."""

from bot.telegram.callbacks import CheckCb, FaqCb, ForgetCb, LanguageCb, RegionCb, ReviewCb, SettingsCb

TELEGRAM_LIMIT = 64


def test_the_longest_payloads_fit(knowledge):
    payloads = [
        CheckCb(action="not_scam", check_id=2**63 - 1),
        LanguageCb(code="kk", onboarding=True),
        ForgetCb(confirm=True),
        SettingsCb(what="language"),
        FaqCb(faq="-"),
        *(RegionCb(region=r, onboarding=True) for r in knowledge.regions),
        *(FaqCb(faq=e.id) for e in knowledge.help.faq),
        *(ReviewCb(item_id=2**63 - 1, action="label", label=label) for label in knowledge.review_labels()),
    ]
    for payload in payloads:
        assert len(payload.pack().encode()) <= TELEGRAM_LIMIT, payload


def test_payloads_round_trip():
    packed = CheckCb(action="paid", check_id=42).pack()
    assert CheckCb.unpack(packed) == CheckCb(action="paid", check_id=42)
