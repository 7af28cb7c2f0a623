"""Every page of the dashboard in Kazakh and in Russian, over HTTP, on data the bot made: the
overview's charts, the waves, one wave, the review queue, the reported identifiers and their
CSV, the alerts' history, a draft edited and submitted under the link policy."""

from __future__ import annotations

import csv
import io
import re

import pytest

from bot.classifier.identifiers import find_identifiers
from bot.panel.app import _csv_cell
from tests.panel.conftest import OFFICER, SECOND, SUPER, Site
from tests.panel.data import ALERT_KK, ALERT_RU, ORDINARY, WAVE_TEXTS, fill

PAGES = {  # a heading each page must show, in each language
    "/panel/": {"kk": "Шолу", "ru": "Обзор"},
    "/panel/waves": {"kk": "Толқындар", "ru": "Волны"},
    "/panel/review": {"kk": "Тексеру кезегі", "ru": "Очередь проверки"},
    "/panel/identifiers": {"kk": "Хабарланған нөмірлер мен сілтемелер", "ru": "Номера и ссылки из жалоб"},
    "/panel/alerts": {"kk": "Ескертулер", "ru": "Предупреждения"},
}
KOSTANAY = {"kk": "Қостанай облысы", "ru": "Костанайская область"}


@pytest.fixture
async def filled(site, classifier):
    data = await fill(site.repos, classifier, site.panel.alerts, site.panel.broadcasts)
    return site, data


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("path", list(PAGES))
async def test_every_page_answers_in_kazakh_and_in_russian(filled, path, lang):
    site, _data = filled
    await site.sign_in(lang=lang)
    page = await site.get(path)
    html = await page.text()
    assert page.status == 200, html
    assert f'<html lang="{lang}">' in html and f"<h1>{PAGES[path][lang]}</h1>" in html
    other = "ru" if lang == "kk" else "kk"
    assert PAGES["/panel/waves"][other] not in html  # the menu is in one language


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_overview_draws_checks_per_day_by_scheme_and_per_region_as_svg(filled, knowledge, lang):
    site, _data = filled
    await site.sign_in(lang=lang)
    html = await (await site.get("/panel/?days=7")).text()
    assert html.count('<svg class="chart"') == 2
    parcel = knowledge.schemes["delivery_parcel"].title.get(lang)
    assert f"{parcel}: 9" in html  # the legend: nine people's risky checks of the parcel scheme
    for region in ("kostanay", "turkestan", "atyrau"):
        assert f"<title>{knowledge.regions[region].name.get(lang)}: 3</title>" in html  # a bar per region
    assert re.search(r'<table id="by-language">.*?</table>', html, re.S)


async def test_the_language_switch_is_remembered(filled):
    site, _data = filled
    await site.sign_in(lang="ru")
    assert "<h1>Толқындар</h1>" in await (await site.get("/panel/waves?lang=kk")).text()
    assert "<h1>Шолу</h1>" in await (await site.get("/panel/")).text()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_wave_page_shows_its_redacted_text_count_regions_and_nearest_scheme(filled, knowledge, lang):
    site, data = filled
    await site.sign_in(lang=lang)
    listed = await (await site.get("/panel/waves")).text()
    assert f'href="/panel/waves/{data.wave_id}"' in listed
    html = await (await site.get(f"/panel/waves/{data.wave_id}")).text()
    assert '<td class="n" id="wave-users">9</td>' in html
    assert knowledge.schemes["delivery_parcel"].title.get(lang) in html
    for region in ("kostanay", "turkestan", "atyrau"):
        assert knowledge.regions[region].name.get(lang) in html
    assert WAVE_TEXTS["kk"].lower() in html and WAVE_TEXTS["ru"].lower() in html  # examples as stored: redacted
    assert 'id="make-draft"' not in html  # no detector in this site: its buttons are not offered


async def test_an_unknown_wave_or_alert_is_not_found(filled):
    site, _data = filled
    await site.sign_in()
    for path in ("/panel/waves/999999", "/panel/waves/x", "/panel/alerts/999999/edit"):
        assert (await site.get(path)).status == 404, path


@pytest.mark.parametrize(("lang", "disputed", "waiting"),
                         [("kk", "Даулы", "Күтуде: 1."), ("ru", "Оспорено", "Ожидают: 1.")])
async def test_the_review_queue_lists_the_disputed_text(filled, lang, disputed, waiting):
    site, _data = filled
    await site.sign_in(lang=lang)
    html = await (await site.get("/panel/review")).text()
    assert disputed in html and waiting in html
    assert ORDINARY["kk"].lower() in html  # the disputed check's text, as stored (redacted)


async def test_the_identifiers_page_and_its_csv_list_the_reported_site(filled):
    site, _data = filled
    await site.sign_in(lang="kk")
    assert "kazpost-kz.top" in await (await site.get("/panel/identifiers")).text()
    exported = await site.get("/panel/identifiers.csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="saqbol-identifiers-')
    body = (await exported.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["kind", "value", "reporters"] and ["domain", "kazpost-kz.top", "1"] == rows[1][:3]
    audited = "SELECT count(*) FROM audit WHERE action = 'panel' AND detail = 'identifiers.csv'"
    assert await site.db.fetchval(audited) == 1


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_quoted():
    cells = ("=HYPERLINK(1)", "+7", "+7701-1", "+77011234567=1+1", "@x", "-1", "\tx", "\r=1", "kaspi.kz", 5)
    assert [_csv_cell(v) for v in cells] == \
        ["'=HYPERLINK(1)", "'+7", "'+7701-1", "'+77011234567=1+1", "'@x", "'-1", "'\tx", "'\r=1", "kaspi.kz", 5]


def test_a_phone_number_in_the_csv_is_the_number_the_bot_stored_without_an_apostrophe():
    assert [_csv_cell(v) for v in ("+77011234567", "+79161234567", "+123456")] == \
        ["+77011234567", "+79161234567", "+123456"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_reported_phone_number_is_exported_as_it_was_stored(filled, lang):
    """A script reading the export (a police system matching numbers) gets ``+77011234567``,
    not ``'+77011234567``: the formula guard leaves a plain phone number alone."""
    site, _data = filled
    reported = {"kk": "Маған +7 701 123 45 67 нөмірінен хабарласты", "ru": "Мне звонили с +7 701 123 45 67"}
    await site.repos.reports.report(7101, find_identifiers(reported[lang]), "kostanay")
    await site.sign_in(lang=lang)
    body = (await (await site.get("/panel/identifiers.csv")).read()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert ["phone", "+77011234567", "1"] in [row[:3] for row in rows]
    assert "'+7" not in body


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_alerts_page_shows_the_history_with_delivery_figures_and_the_draft(filled, lang):
    site, data = filled
    await site.sign_in(lang=lang)
    html = await (await site.get("/panel/alerts")).text()
    assert f'href="/panel/alerts/{data.draft_id}/edit"' in html
    assert {"kk": "Бекітуді күтуде", "ru": "Ждёт утверждения"}[lang] in html  # the submitted one
    assert KOSTANAY[lang] in html


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_draft_with_a_link_off_the_allowlist_is_shown_refused_and_nothing_is_stored(filled, lang):
    site, data = filled
    await site.sign_in(lang=lang)
    page = await (await site.get(f"/panel/alerts/{data.draft_id}/edit")).text()
    phishing = {"kk": "Өтемақы алу үшін: https://egov-kz.top/pay", "ru": "Для компенсации: https://egov-kz.top/pay"}[lang]
    form = {"csrf": site.csrf(page), "text_kk": phishing if lang == "kk" else ALERT_KK,
            "text_ru": phishing if lang == "ru" else ALERT_RU, "region": "kostanay", "action": "submit"}
    refused = await site.http.post(f"{site.url}/panel/alerts/{data.draft_id}/edit", data=form, allow_redirects=False)
    html = await refused.text()
    assert refused.status == 422
    assert f'data-lang="{lang}" data-problem="forbidden"' in html and "egov-kz.top" in html
    assert {"kk": "Жіберілмейді", "ru": "Не отправлено"}[lang] in html
    row = await site.db.fetchone("SELECT status, text_kk, text_ru FROM broadcasts WHERE id = ?", (data.draft_id,))
    assert tuple(row) == ("draft", ALERT_KK, ALERT_RU)
    assert site.emulator.chat_state(SECOND) is None or not site.emulator.chat_state(SECOND).messages


async def test_a_draft_is_saved_then_submitted_and_the_second_officer_is_asked_in_telegram(filled):
    site, data = filled
    await site.sign_in(lang="ru")
    page = await (await site.get(f"/panel/alerts/{data.draft_id}/edit")).text()
    edited = ALERT_RU.replace("Не платите!", "Ничего не платите!")
    form = {"csrf": site.csrf(page), "text_kk": ALERT_KK, "text_ru": edited, "region": ["kostanay", "atyrau"]}
    saved = await site.http.post(f"{site.url}/panel/alerts/{data.draft_id}/edit", data={**form, "action": "save"})
    assert 'id="saved"' in await saved.text()
    assert (await site.db.fetchone("SELECT text_ru, regions, status FROM broadcasts WHERE id = ?", (data.draft_id,))
            )[:] == (edited, "kostanay,atyrau", "draft")
    submitted = await site.http.post(f"{site.url}/panel/alerts/{data.draft_id}/edit", data={**form, "action": "submit"})
    assert f"Предупреждение #{data.draft_id} ждёт в боте утверждения" in await submitted.text()
    row = await site.db.fetchone("SELECT status, author_id, text_ru FROM broadcasts WHERE id = ?", (data.draft_id,))
    assert row[0] == "pending" and row[1] == OFFICER and "Ничего не платите!" in row[2]
    for approver in (SUPER, SECOND):  # everyone who may approve but its author
        await site.emulator.wait_until(lambda a=approver: site.emulator.chat_state(a) is not None
                                       and len(site.emulator.chat_state(a).messages) == 3)
        texts = [m.get("text", "") for m in site.emulator.chat_state(approver).messages.values()]
        assert texts[0].startswith(f"Предупреждение #{data.draft_id}") and "Ничего не платите!" in texts[2]
    again = await site.http.post(f"{site.url}/panel/alerts/{data.draft_id}/edit", data={**form, "action": "submit"},
                                 allow_redirects=False)
    assert again.status == 409  # submitted once
    late = await site.http.post(f"{site.url}/panel/alerts/{data.draft_id}/edit", data={**form, "action": "save"},
                                allow_redirects=False)
    assert late.status == 409  # nor edited once it waits for approval


@pytest.fixture
async def with_detector(filled, knowledge, settings):
    """The site with the bot's wave detector behind the wave page's two buttons."""
    from bot.i18n import create_i18n
    from bot.services.waves import WaveDetector

    site, data = filled
    site.panel.waves = WaveDetector(site.repos, knowledge, create_i18n(), settings.waves,
                                    broadcasts=site.panel.broadcasts)
    return site, data


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_waves_examples_go_to_the_review_queue_and_it_becomes_an_alert_draft_once(with_detector, lang):
    site, data = with_detector
    html = await (await site.sign_in(lang=lang)).text()
    page = await (await site.get(f"/panel/waves/{data.wave_id}")).text()
    assert 'id="make-draft"' in page and 'id="to-review"' in page
    before = await site.repos.reviews.pending()
    sent = await site.http.post(f"{site.url}/panel/waves/{data.wave_id}/review", data={"csrf": site.csrf(html)})
    shown = await sent.text()
    assert {"kk": "Тексеру кезегіне жіберілді: 2", "ru": "Отправлено в очередь проверки: 2"}[lang] in shown
    assert await site.repos.reviews.pending() == before + 2  # the wave's two texts, kk and ru
    drafted = await site.http.post(f"{site.url}/panel/waves/{data.wave_id}/draft", data={"csrf": site.csrf(html)})
    assert str(drafted.url).endswith("/edit") and 'id="text_kk"' in await drafted.text()
    again = await site.http.post(f"{site.url}/panel/waves/{data.wave_id}/draft", data={"csrf": site.csrf(html)})
    assert again.url == drafted.url  # pressed twice: the same draft
    assert 'href="/panel/alerts/' in await (await site.get(f"/panel/waves/{data.wave_id}")).text()
    refused = await site.http.post(f"{site.url}/panel/waves/{data.wave_id}/draft", data={"csrf": "x"})
    assert refused.status == 403
