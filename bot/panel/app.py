"""The officers' web dashboard: aiohttp routes under /panel, Jinja2 pages rendered on the server.

HTTP in, a service call, a page out, as a handler is Telegram in, a service call, Telegram
out. Every page but the sign-in passes one middleware that reads the session cookie **and the
person's role, on every request** (`bot.services.signin.SignIn.session`): a revoked officer's
next click is refused. Every form posts the session's CSRF token back; a POST without it is
refused. Pages are read-only but for three actions: a wave to an alert draft, a wave's
examples to the review queue (H3's `bot/services/waves.py`), and a draft edited and submitted
for approval (`AlertService`, whose link policy refuses a phishing link before it is stored).

The routes are a sub-application (`create_panel_app`), mounted at /panel by `add_panel_routes`
on whichever server the bot runs: the webhook server, or a server of its own with polling and
in the demo (`bot.app.runner.web_routes`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.alerts.repository import BroadcastsRepo
from bot.i18n import KZ_TIME, LANGUAGES
from bot.knowledge import KnowledgeBase
from bot.panel import charts
from bot.panel.i18n import Translations, choose_language, load_catalogues
from bot.services.alerts import AlertService, Submitted
from bot.services.signin import SIGNIN_PATH, Refused, Session, SignIn, SignedIn
from bot.storage import Repositories
from bot.storage.waves import Wave

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
COOKIE = "saqbol_panel"
LANG_COOKIE = "saqbol_panel_lang"
PERIODS = (7, 30, 90)
TOP_SCHEMES = 6
PAGE_SIZE = 100
MAX_BODY = 256 * 1024
"""The largest request body the dashboard's server takes (a draft alert's two texts and its
regions are a few KiB). aiohttp reads the limit from the application the server runs, never
from a sub-application, so it is set there: the polling and demo server
(`bot.app.runner.web_server`); with a webhook, nginx's ``client_max_body_size 256k`` on /panel/
(deploy/nginx.conf) does it in front of the webhook server."""


class WaveActions(Protocol):
    """What the wave page's two buttons call (`bot.services.waves.WaveDetector`)."""

    async def draft_alert(self, wave_id: int, officer_id: int) -> int: ...

    async def to_review(self, wave_id: int) -> int | None: ...


AskApproval = Callable[[Submitted, str], Awaitable[None]]
"""Tells the approvers in Telegram that an alert submitted from the panel waits for them
(given the submission and the submitting officer's page language)."""


@dataclass
class Panel:
    """What the pages need; built by the app (`bot.app.runner`) from the bot's services.
    ``alerts`` is None where no alert engine runs (drafts are shown, not submitted);
    ``waves`` None until the wave detector runs (the wave page's buttons are then hidden)."""

    signin: SignIn
    repos: Repositories
    broadcasts: BroadcastsRepo
    knowledge: KnowledgeBase
    alerts: AlertService | None = None
    waves: WaveActions | None = None
    ask_approval: AskApproval | None = None
    clock: Callable[[], float] = time.time
    translations: Translations = field(default_factory=lambda: Translations(load_catalogues()))

PANEL = web.AppKey("panel", Panel)
SESSION = web.RequestKey("session", Session)
JINJA = web.AppKey("jinja", Environment)


def _environment(translations: Translations) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True, enable_async=False)
    gettext, ngettext = translations.gettext_for_jinja()
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


# --- rendering ---------------------------------------------------------------------------------

def _lang(request: web.Request) -> str:
    return choose_language(request.query.get("lang"), request.cookies.get(LANG_COOKIE),
                           request.headers.get("Accept-Language"))


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """A page in the request's language; a language just switched to is remembered."""
    lang = _lang(request)
    session: Session | None = request.get(SESSION)
    html = request.app[JINJA].get_template(template).render(
        lang=lang, languages=LANGUAGES, session=session, path=request.path, query=dict(request.query), **values)
    response = web.Response(text=html, content_type="text/html", status=status)
    _security_headers(response)
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/panel", httponly=True, samesite="Lax")
    return response


def _security_headers(response: web.StreamResponse) -> None:
    """No script runs on these pages and none may: the CSP says so; no framing (clickjacking of
    the Submit button), no referrer to other sites (a page's URL holds ids), nothing cached on a
    shared PC. ``same-origin`` rather than ``no-referrer``: under ``no-referrer`` a browser sends
    ``Origin: null`` with the pages' own forms, and `cross_site` could not tell them from a forgery."""
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'self' 'unsafe-inline'; "
                                                   "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def refused(request: web.Request, reason: Refused) -> web.Response:
    response = render(request, "refused.html", status=403 if reason is not Refused.SIGNED_OUT else 401,
                      reason=reason.value)
    response.del_cookie(COOKIE, path="/panel")
    return response


# --- the checks every request passes ------------------------------------------------------------

PUBLIC = {SIGNIN_PATH}
SAME_ORIGIN = frozenset({"same-origin", "none"})  # Sec-Fetch-Site of the pages' own forms, or a typed URL


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` as a browser writes its Origin header (no default port)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + ("" if port is None or port == default else f":{port}")


def cross_site(request: web.Request) -> str | None:
    """Why a POST did not come from the dashboard's own pages (None when it did).

    Login CSRF: the sign-in is public and its form carries only the link, so another site could
    post an officer's own link from a colleague's browser and sign that browser into the
    attacker's session (whatever the colleague then does there, a draft edited, an alert
    submitted, is done and audited as the attacker, who reads it afterwards).
    The browser says where a form came from, in headers a page cannot set: ``Sec-Fetch-Site``
    (``same-origin`` for our forms) and ``Origin``, which must be the dashboard's address
    (PANEL_URL: behind nginx's TLS) or the one this request came to (a demo opened at another
    host name). ``Origin: null`` (a sandboxed frame, a page with ``no-referrer``) is refused.
    A client sending neither header (a script, the tests' HTTP client) is let through: it is not
    a browser carrying someone's cookie."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in SAME_ORIGIN:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = request.headers.get("Origin")
    if origin is not None:
        own = {origin_of(request.app[PANEL].signin.base_url), origin_of(str(request.url))}
        if origin not in own:
            return f"Origin: {origin}"
    return None


@web.middleware
async def officers_only(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                        ) -> web.StreamResponse:
    """Every POST from the dashboard's own pages (`cross_site`), the sign-in's too; the session
    and the role, read again on every request; the CSRF token on every POST (except the
    sign-in's, which carries the signed link instead)."""
    if request.method == "POST":
        foreign = cross_site(request)
        if foreign is not None:
            log.warning("panel: a POST to %s from another site refused (%s)", request.path, foreign)
            return render(request, "refused.html", status=403, reason="cross_site")
    if request.path in PUBLIC:
        return await handler(request)
    panel = request.app[PANEL]
    found = await panel.signin.session(request.cookies.get(COOKIE))
    if isinstance(found, Refused):
        return refused(request, found)
    request[SESSION] = found
    if request.method == "POST":
        form = await request.post()
        if not SignIn.csrf_ok(found, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
            log.warning("panel: a POST to %s without its CSRF token (officer %s)", request.path, found.user_id)
            return render(request, "refused.html", status=403, reason="csrf")
    return await handler(request)


# --- sign-in ------------------------------------------------------------------------------------

async def signin_page(request: web.Request) -> web.Response:
    """The link opens a page with one button; only its POST spends the link. A link-preview
    robot or a mail scanner that fetches the URL does not sign anybody in or burn the link."""
    token = request.query.get("t", "")
    reason = await request.app[PANEL].signin.check_link(token)
    if reason is not None:
        return refused(request, reason)
    return render(request, "signin.html", token=token, action=SIGNIN_PATH)


async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = form.get("t")
    opened = await request.app[PANEL].signin.open_link(token if isinstance(token, str) else "")
    if isinstance(opened, Refused):
        return refused(request, opened)
    return _signed_in(request, opened)


def _signed_in(request: web.Request, opened: SignedIn) -> web.StreamResponse:
    response = web.Response(status=303, headers={"Location": "/panel/"})
    response.set_cookie(COOKIE, opened.cookie, path="/panel", httponly=True, samesite="Strict",
                        secure=request.secure or request.app[PANEL].signin.base_url.startswith("https://"),
                        max_age=int(opened.session.expires_at - request.app[PANEL].clock()))
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[PANEL].signin.sign_out(request.cookies.get(COOKIE))
    response = render(request, "refused.html", status=200, reason="signed_out_now")
    response.del_cookie(COOKIE, path="/panel")
    return response


# --- overview -----------------------------------------------------------------------------------

def _scheme_title(knowledge: KnowledgeBase, scheme: str | None, lang: str, other: str) -> str:
    if scheme and scheme in knowledge.schemes:
        return knowledge.schemes[scheme].title.get(lang)
    return scheme or other


def _region_name(knowledge: KnowledgeBase, region: str | None, lang: str, unknown: str) -> str:
    if region and region in knowledge.regions:
        return knowledge.regions[region].name.get(lang)
    return region or unknown


async def overview(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    tr = panel.translations
    days = int(request.query["days"]) if request.query.get("days") in {str(p) for p in PERIODS} else 30
    now = panel.clock()
    numbers = await panel.repos.dashboard.overview(days, now)  # two reads of the day counts, never the checks
    per_day, per_region, by_risk, by_language = (numbers.per_day, numbers.per_region, numbers.by_risk,
                                                 numbers.by_language)

    today = dt.datetime.fromtimestamp(now, KZ_TIME).date()
    dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    per_scheme: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for day, scheme, n in per_day:
        per_scheme[scheme or ""][str(day)] += n
        totals[scheme or ""] += n
    top = [s for s, _n in totals.most_common() if s][:TOP_SCHEMES]
    other = tr.text(lang, "Other")
    series = [charts.Series(_scheme_title(panel.knowledge, s, lang, other), charts.PALETTE[i],
                            tuple(per_scheme[s][d.isoformat()] for d in dates)) for i, s in enumerate(top)]
    rest = [s for s in per_scheme if s not in top]
    if rest:
        series.append(charts.Series(other, charts.PALETTE[-1],
                                    tuple(sum(per_scheme[s][d.isoformat()] for s in rest) for d in dates)))
    day_chart = charts.stacked_days([d.strftime("%d.%m") for d in dates], series,
                                    title=tr.text(lang, "Risky checks per day by scheme"))
    unknown = tr.text(lang, "Region not given")
    regions = [(_region_name(panel.knowledge, r or None, lang, unknown), n) for r, n in per_region]
    region_chart = charts.bars(regions, title=tr.text(lang, "Checks by region"))
    return render(request, "overview.html", days=days, periods=PERIODS, day_chart=day_chart,
                  region_chart=region_chart, legend=[(s.label, s.color, sum(s.values)) for s in series],
                  by_risk=list(by_risk), by_language=list(by_language),
                  total=numbers.checks)


# --- waves --------------------------------------------------------------------------------------

def _when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, KZ_TIME).strftime("%d.%m.%Y %H:%M")


def _wave_view(panel: Panel, wave: Wave, lang: str) -> dict[str, Any]:
    unknown = panel.translations.text(lang, "Region not given")
    return {
        "id": wave.id, "text": wave.representative, "users": wave.users, "checks": wave.checks,
        "regions": [_region_name(panel.knowledge, r, lang, unknown) for r in wave.regions],
        "languages": wave.languages, "first_seen": _when(wave.first_seen), "last_seen": _when(wave.last_seen),
        "per_hour": wave.per_hour, "status": wave.status, "broadcast_id": wave.broadcast_id,
        "scheme": _scheme_title(panel.knowledge, wave.scheme, lang, "") if wave.scheme else None,
    }


async def waves(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    found = await panel.repos.waves.recent(PAGE_SIZE)
    return render(request, "waves.html", waves=[_wave_view(panel, w, lang) for w in found])


async def wave(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    found = await panel.repos.waves.find(_id(request))
    if found is None:
        raise web.HTTPNotFound(text="no such wave: go back to /panel/waves")
    members = await panel.repos.waves.members(found.id, 10)
    examples = list(dict.fromkeys(m.text_redacted for m in members))  # a text many sent alike, once
    return render(request, "wave.html", wave=_wave_view(panel, found, lang), examples=examples,
                  actions=panel.waves is not None, sent=request.query.get("sent"))


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound(text="no such item: check the address")
    return int(raw)


async def wave_draft(request: web.Request) -> web.StreamResponse:
    panel, session = request.app[PANEL], request[SESSION]
    if panel.waves is None:
        raise web.HTTPServiceUnavailable(text="wave detection is not running: alert drafts come from waves it found")
    try:
        broadcast_id = await panel.waves.draft_alert(_id(request), session.user_id)
    except LookupError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    await panel.repos.roles.audit(session.user_id, "panel", f"wave {_id(request)} -> draft {broadcast_id}")
    raise web.HTTPSeeOther(f"/panel/alerts/{broadcast_id}/edit")


async def wave_review(request: web.Request) -> web.StreamResponse:
    panel, session = request.app[PANEL], request[SESSION]
    if panel.waves is None:
        raise web.HTTPServiceUnavailable(text="wave detection is not running")
    try:
        sent = await panel.waves.to_review(_id(request))
    except LookupError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    await panel.repos.roles.audit(session.user_id, "panel", f"wave {_id(request)} -> review")
    raise web.HTTPSeeOther(f"/panel/waves/{_id(request)}?sent={int(sent or 0)}")


# --- review queue, identifiers -----------------------------------------------------------------

async def review(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    other = panel.translations.text(lang, "Other")
    items = [{"reason": item.reason, "text": item.text, "kind": item.kind, "when": _when(item.created_at),
              "scheme": _scheme_title(panel.knowledge, item.scheme, lang, other) if item.scheme else ""}
             for item in await panel.repos.reviews.queue(PAGE_SIZE)]
    return render(request, "review.html", items=items, pending=await panel.repos.reviews.pending())


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() and len(raw) < 6 else 1


async def identifiers(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    page = _page(request)
    found = await panel.repos.dashboard.identifiers(PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    rows = [{"kind": r.kind, "value": r.value, "reporters": r.reporters, "last": _when(r.last_reported),
             "review": r.review} for r in found[:PAGE_SIZE]]
    return render(request, "identifiers.html", rows=rows, page=page, more=len(found) > PAGE_SIZE)


CSV_COLUMNS = ("kind", "value", "reporters", "first_reported", "last_reported", "review", "reviewed_at")
"""The export's header: field names, not words of a language, so that a script reading it
works whichever language the officer's page was in; times are ISO 8601 in Kazakhstan's zone."""


async def identifiers_csv(request: web.Request) -> web.StreamResponse:
    """Every reported identifier as CSV (UTF-8 with a BOM, so that Excel opens Cyrillic right)."""
    panel, session = request.app[PANEL], request[SESSION]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in await panel.repos.dashboard.identifiers_csv_rows():
        writer.writerow([_csv_cell(v) for v in (row.kind, row.value, row.reporters, _iso(row.first_reported),
                                                 _iso(row.last_reported), row.review or "", _iso(row.reviewed_at))])
    await panel.repos.roles.audit(session.user_id, "panel", "identifiers.csv")
    stamp = dt.datetime.fromtimestamp(panel.clock(), KZ_TIME).strftime("%Y-%m-%d")
    response = web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv",
                            charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="saqbol-identifiers-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _iso(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts, KZ_TIME).isoformat(timespec="seconds")


PHONE_CELL = re.compile(r"\+\d{6,15}")
"""A phone number in E.164 (``+77011234567``), as the identifiers are stored: a number to a
spreadsheet, never a formula."""


def _csv_cell(value: object) -> object:
    """A text starting with = + - @ (or a tab, a carriage return) is a formula to a spreadsheet:
    a reported 'identifier' must not run one on the officer's machine (CSV injection), so it gets
    a leading apostrophe. A phone number (a plus and digits only) is left as it is: it runs
    nothing, and a script reading the export must get the number the bot stored, not ``'+7…``."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not PHONE_CELL.fullmatch(value):
        return "'" + value
    return value


# --- alerts ------------------------------------------------------------------------------------

async def alerts(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    rows = []
    for row in await panel.repos.dashboard.alerts(PAGE_SIZE):
        d = row.deliveries
        rows.append({"id": row.id, "status": row.status, "when": _when(row.created_at),
                     "regions": _region_names(panel, row.regions, lang), "sent": d.get("sent", 0),
                     "blocked": d.get("blocked", 0), "failed": d.get("failed", 0) + d.get("not_found", 0),
                     "waiting": d.get("pending", 0) + d.get("sending", 0)})
    return render(request, "alerts.html", rows=rows)


def _region_names(panel: Panel, regions: tuple[str, ...], lang: str) -> list[str]:
    unknown = panel.translations.text(lang, "Region not given")
    return [panel.translations.text(lang, "All of Kazakhstan") if r == "national"
            else _region_name(panel.knowledge, r, lang, unknown) for r in regions]


def _region_choices(panel: Panel, lang: str) -> list[tuple[str, str]]:
    return [("national", panel.translations.text(lang, "All of Kazakhstan"))] + [
        (rid, region.name.get(lang)) for rid, region in panel.knowledge.regions.items()]


async def alert_edit(request: web.Request) -> web.Response:
    panel, lang = request.app[PANEL], _lang(request)
    draft = await _draft(panel, _id(request))
    return render(request, "alert_edit.html", draft=draft, text_kk=draft.text_kk, text_ru=draft.text_ru,
                  chosen=set(draft.regions), regions=_region_choices(panel, lang), refusals={},
                  can_submit=panel.alerts is not None)


async def _draft(panel: Panel, broadcast_id: int) -> Any:
    found = await panel.broadcasts.find(broadcast_id)
    if found is None:
        raise web.HTTPNotFound(text="no such alert: go back to /panel/alerts")
    return found


async def alert_save(request: web.Request) -> web.StreamResponse:
    """Save the draft's texts and regions, or submit it for a second officer's approval. The
    link policy checks both texts first: a refused one is shown with what is allowed, and
    nothing is stored or sent."""
    panel, lang, session = request.app[PANEL], _lang(request), request[SESSION]
    broadcast_id = _id(request)
    draft = await _draft(panel, broadcast_id)
    form = await request.post()
    text_kk, text_ru = str(form.get("text_kk", "")).strip(), str(form.get("text_ru", "")).strip()
    regions = tuple(r for r in form.getall("region", []) if isinstance(r, str) and
                    (r == "national" or r in panel.knowledge.regions)) or ("national",)
    if "national" in regions:
        regions = ("national",)
    if panel.alerts is None:
        raise web.HTTPServiceUnavailable(text="the alert engine is not running: start the bot with its token")
    refusals = {lang_: r for lang_, r in (("kk", panel.alerts.check(text_kk)), ("ru", panel.alerts.check(text_ru)))
                if r is not None}
    if refusals:
        return render(request, "alert_edit.html", status=422, draft=draft, text_kk=text_kk, text_ru=text_ru,
                      chosen=set(regions), regions=_region_choices(panel, lang), refusals=refusals, can_submit=True)
    if form.get("action") == "submit":
        submitted = await panel.alerts.submit_draft(broadcast_id, session.user_id, text_kk, text_ru, regions)
        if submitted is None:
            raise web.HTTPConflict(text="this alert is no longer a draft: see /panel/alerts")
        if panel.ask_approval is not None:
            await panel.ask_approval(submitted, lang)
        raise web.HTTPSeeOther("/panel/alerts?submitted=" + str(broadcast_id))
    if not await panel.alerts.save_draft(broadcast_id, session.user_id, text_kk, text_ru, regions):
        raise web.HTTPConflict(text="this alert is no longer a draft: see /panel/alerts")
    raise web.HTTPSeeOther(f"/panel/alerts/{broadcast_id}/edit?saved=1")


# --- the application ---------------------------------------------------------------------------

def create_panel_app(panel: Panel) -> web.Application:
    """The dashboard as an aiohttp sub-application (its paths relative to /panel)."""
    app = web.Application(middlewares=[officers_only])  # the body limit is the server's app's: MAX_BODY
    app[PANEL] = panel
    app[JINJA] = _environment(panel.translations)
    app.router.add_get(SIGNIN_PATH.removeprefix("/panel"), signin_page)
    app.router.add_post(SIGNIN_PATH.removeprefix("/panel"), sign_in)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", overview)
    app.router.add_get("/waves", waves)
    app.router.add_get("/waves/{id}", wave)
    app.router.add_post("/waves/{id}/draft", wave_draft)
    app.router.add_post("/waves/{id}/review", wave_review)
    app.router.add_get("/review", review)
    app.router.add_get("/identifiers", identifiers)
    app.router.add_get("/identifiers.csv", identifiers_csv)
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/alerts/{id}/edit", alert_edit)
    app.router.add_post("/alerts/{id}/edit", alert_save)
    return app


def add_panel_routes(app: web.Application, panel: Panel) -> None:
    """The dashboard at /panel/ on ``app`` (the webhook server, or the panel's own)."""

    async def to_overview(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/panel/")

    app.router.add_get("/panel", to_overview)
    app.add_subapp("/panel", create_panel_app(panel))
