"""Signing in to the dashboard over HTTP: the bot's one-time link, its ten minutes, its one use,
the role read again on every request, the session cookie and the CSRF token."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.signin import LINK_TTL, Refused, SignIn
from bot.storage import Database
from tests.panel.conftest import CITIZEN, OFFICER, SECRET, SUPER, Site, open_site
from tests.storage.engines import ENGINES, database_on

SIGN_IN_BUTTON = {"kk": "Кіру", "ru": "Войти"}
OVERVIEW = {"kk": "Шолу", "ru": "Обзор"}
REFUSALS = {
    "expired": {"kk": "Сілтеменің мерзімі өтті", "ru": "Срок ссылки истёк"},
    "used": {"kk": "Бұл сілтеме қолданылып қойған", "ru": "Ссылка уже использована"},
    "not_officer": {"kk": "Тек полиция қызметкерлеріне", "ru": "Только для сотрудников полиции"},
    "invalid": {"kk": "Сілтеме жарамсыз", "ru": "Ссылка недействительна"},
    "signed_out": {"kk": "Алдымен кіріңіз", "ru": "Сначала войдите"},
}


@pytest.fixture(params=ENGINES)
async def engine_db(request, tmp_path: Path) -> AsyncIterator[Database]:
    async with database_on(request, tmp_path / "saqbol.db") as database:
        yield database


@pytest.fixture
async def both(engine_db, knowledge, emulator) -> AsyncIterator[Site]:
    """The site on a SQLite file and on PostgreSQL: links and sessions are the storage's rows."""
    async for opened in open_site(engine_db, knowledge, emulator):
        yield opened


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_officer_opens_the_link_presses_sign_in_and_sees_the_overview_in_their_language(site, lang):
    link = site.signin.link(OFFICER, "officer") + f"&lang={lang}"
    page = await site.http.get(link.replace(site.signin.base_url, site.url))
    assert page.status == 200 and f">{SIGN_IN_BUTTON[lang]}</button>" in await page.text()
    assert await site.db.fetchval("SELECT count(*) FROM panel_links") == 0  # opening the page spends nothing
    signed = await site.open_link(link)
    html = await signed.text()
    assert signed.status == 200 and str(signed.url).endswith("/panel/")
    assert f'<html lang="{lang}">' in html and f"<h1>{OVERVIEW[lang]}</h1>" in html


async def test_a_link_opens_the_dashboard_once_on_both_engines(both):
    link = both.signin.link(OFFICER, "officer")
    assert (await both.open_link(link)).status == 200
    both.http.cookie_jar.clear()
    again = await both.open_link(link + "&lang=kk")  # the page opens; its button is refused
    assert again.status == 403 and REFUSALS["used"]["kk"] in await again.text()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_link_older_than_ten_minutes_is_refused(site, lang):
    link = site.signin.link(OFFICER, "officer") + f"&lang={lang}"
    site.clock.now += LINK_TTL + 1
    refused = await site.open_link(link)
    assert refused.status == 403 and REFUSALS["expired"][lang] in await refused.text()
    assert await site.db.fetchval("SELECT count(*) FROM panel_sessions") == 0


async def test_a_link_nine_minutes_old_still_opens(site):
    link = site.signin.link(OFFICER, "officer")
    site.clock.now += LINK_TTL - 60
    assert (await site.open_link(link)).status == 200


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_citizens_link_is_refused_even_when_signed_with_the_real_secret(site, lang):
    """A link made for someone without the officer role (a leaked secret, a link for a former
    officer) opens nothing: the role is read from the database, not believed from the link."""
    refused = await site.open_link(site.signin.link(CITIZEN, "officer") + f"&lang={lang}")
    assert refused.status == 403 and REFUSALS["not_officer"][lang] in await refused.text()
    with pytest.raises(ValueError, match="only officers and superadmins"):
        site.signin.link(CITIZEN, "citizen")


async def test_a_link_altered_or_signed_with_another_secret_is_refused(site):
    token = site.signin.token(OFFICER, "officer")
    user, role, expires, nonce, signature = token.split(".")
    other = SignIn(site.repos.panel, site.repos.roles, secret=b"another-secret-0123456789abcdef", base_url=site.url,
                   clock=site.clock)
    for forged in (f"{SUPER}.superadmin.{expires}.{nonce}.{signature}",  # someone else's id and role
                   f"{user}.{role}.{int(expires) + 86400}.{nonce}.{signature}",  # a later expiry
                   other.token(OFFICER, "officer"), token[:-3], "", "a.b.c", token[:-1] + "ә"):
        refused = await site.get(f"/panel/login?t={forged}")
        assert refused.status == 403 and REFUSALS["invalid"]["ru"] in await refused.text(), forged
        assert (await site.signin.open_link(forged)) is Refused.INVALID


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_revoked_officer_is_refused_on_the_next_request_and_their_sessions_end(both, lang):
    assert (await both.sign_in(OFFICER, lang=lang)).status == 200
    assert (await both.get("/panel/waves")).status == 200
    await both.repos.roles.revoke(OFFICER)
    refused = await both.get("/panel/waves")
    assert refused.status == 403 and REFUSALS["not_officer"][lang] in await refused.text()
    assert await both.db.fetchval("SELECT count(*) FROM panel_sessions WHERE user_id = ?", (OFFICER,)) == 0
    await both.repos.roles.grant(OFFICER, by=SUPER)  # granted again: the old session stays ended
    assert (await both.get("/panel/")).status == 401


async def test_the_cookie_is_httponly_and_same_site_strict_and_only_its_hash_is_stored(site):
    signed = await site.sign_in()
    [cookie] = [c for c in site.http.cookie_jar if c.key == "saqbol_panel"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/panel"
    stored = await site.db.fetchval("SELECT id_hash FROM panel_sessions WHERE user_id = ?", (OFFICER,))
    assert stored == hashlib.sha256(cookie.value.encode()).hexdigest() and cookie.value not in stored
    assert signed.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert signed.headers["Referrer-Policy"] == "same-origin"  # no-referrer would make our forms Origin: null


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_page_without_a_session_asks_to_sign_in_through_the_bot(site, lang):
    refused = await site.get(f"/panel/?lang={lang}")
    assert refused.status == 401 and REFUSALS["signed_out"][lang] in await refused.text()


async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(site):
    await site.sign_in()
    for data in ({}, {"csrf": "forged"}, {"csrf": "жалған"}):
        refused = await site.http.post(site.url + "/panel/logout", data=data, allow_redirects=False)
        assert refused.status == 403 and 'data-reason="csrf"' in await refused.text()
    assert (await site.get("/panel/")).status == 200  # still signed in


async def test_signing_out_ends_the_session(site):
    html = await (await site.sign_in()).text()
    out = await site.http.post(site.url + "/panel/logout", data={"csrf": site.csrf(html)})
    assert out.status == 200
    assert await site.db.fetchval("SELECT count(*) FROM panel_sessions") == 0
    assert (await site.get("/panel/")).status == 401


async def test_a_superadmin_signs_in_but_not_with_an_officers_link(site):
    assert (await site.sign_in(SUPER, "superadmin")).status == 200
    site.http.cookie_jar.clear()
    changed = await site.open_link(site.signin.link(SUPER, "officer"))
    assert changed.status == 403 and 'data-reason="role_changed"' in await changed.text()


def test_a_secret_shorter_than_sixteen_bytes_is_refused_with_advice():
    with pytest.raises(ValueError, match="PANEL_SECRET"):
        SignIn(None, None, secret=b"short", base_url="http://x")  # type: ignore[arg-type]
    assert len(SECRET) >= 16


async def test_a_sign_in_clears_ended_sessions_and_nonces_no_link_can_use_any_more(site):
    await site.sign_in(OFFICER)
    site.clock.now += 9 * 3600  # past the first session's 8 hours and its link's 10 minutes
    site.http.cookie_jar.clear()
    await site.sign_in(OFFICER)
    assert await site.db.fetchval("SELECT count(*) FROM panel_sessions") == 1
    assert await site.db.fetchval("SELECT count(*) FROM panel_links") == 1


FOREIGN = [  # what a browser sends with a form another site posts to the dashboard
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.saqbol.test"},  # a sibling host is another site too
    {"Origin": "https://evil.example"},  # a browser without Sec-Fetch-* headers
    {"Origin": "null"},  # a sandboxed frame, or a page with Referrer-Policy: no-referrer
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://panel.saqbol.test:8443"},  # another port is another origin
]


async def _token(site: Site) -> str:
    page = await site.http.get(site.signin.link(OFFICER, "officer").replace(site.signin.base_url, site.url))
    token = re.search(r'name="t" value="([^"]+)"', await page.text())
    assert token
    return token.group(1)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_sign_in_posted_from_another_site_is_refused_and_the_link_is_not_spent(site, lang):
    """Login CSRF: another site must not sign a colleague's browser into the attacker's session
    by posting the attacker's own link from it. Refused before the link is looked at."""
    token = await _token(site)
    for headers in FOREIGN:
        refused = await site.http.post(f"{site.url}/panel/login?lang={lang}", data={"t": token}, headers=headers,
                                       allow_redirects=False)
        html = await refused.text()
        assert refused.status == 403 and 'data-reason="cross_site"' in html, headers
        assert REFUSALS["invalid"][lang] in html and "saqbol_panel" not in refused.cookies
    assert await site.db.fetchval("SELECT count(*) FROM panel_links") == 0  # the link is still good
    assert await site.db.fetchval("SELECT count(*) FROM panel_sessions") == 0
    signed = await site.http.post(f"{site.url}/panel/login?lang={lang}", data={"t": token},
                                  headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://panel.saqbol.test"})
    assert signed.status == 200 and f"<h1>{OVERVIEW[lang]}</h1>" in await signed.text()


async def test_a_sign_in_from_the_address_the_page_was_opened_at_is_accepted(site):
    """The demo's links may say localhost where the browser typed 127.0.0.1: the origin of the
    request's own address is the dashboard's too."""
    signed = await site.http.post(f"{site.url}/panel/login", data={"t": await _token(site)},
                                  headers={"Sec-Fetch-Site": "same-origin", "Origin": site.url})
    assert signed.status == 200 and str(signed.url).endswith("/panel/")


async def test_a_post_from_another_site_is_refused_even_with_the_sessions_csrf_token(site):
    csrf = site.csrf(await (await site.sign_in()).text())
    for headers in FOREIGN:
        refused = await site.http.post(site.url + "/panel/logout", data={"csrf": csrf}, headers=headers,
                                       allow_redirects=False)
        assert refused.status == 403 and 'data-reason="cross_site"' in await refused.text(), headers
    assert (await site.get("/panel/")).status == 200  # still signed in
    out = await site.http.post(site.url + "/panel/logout", data={"csrf": csrf},
                               headers={"Sec-Fetch-Site": "same-origin", "Origin": site.url})
    assert out.status == 200 and (await site.get("/panel/")).status == 401
