"""The dashboard's own server, as the bot runs it with long polling and in the demo
(`bot.app.runner.web_server` on PANEL_HOST:PANEL_PORT): what it takes in one request."""

from __future__ import annotations

from aiohttp import ClientSession

from bot.app.runner import web_server
from bot.devtools.running import free_ports
from bot.panel.app import MAX_BODY
from tests.support.livebot import live_bot


async def test_a_post_larger_than_the_dashboards_limit_is_refused_with_413_by_the_polling_server(
        settings, classifier, tmp_path):
    """256 KiB is the limit (a draft alert is a few KiB); aiohttp reads it from the server's
    application, not from the /panel sub-application, so this fails where it is set only there
    (aiohttp's default, 1 MiB, would take the 300 KiB)."""
    [port] = free_ports(1)
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", panel_port=port) as live, \
            web_server(live.settings, live.deps, live.dp, live.bot) as served, ClientSession() as http:
        assert served is not None
        under = await http.post(f"{served}/panel/login", data={"t": "x" * (MAX_BODY - 4096)})
        assert under.status == 403 and 'data-reason="invalid"' in await under.text()  # read, and refused as a link
        over = await http.post(f"{served}/panel/login", data={"t": "x" * (300 * 1024)})
        assert over.status == 413
        assert await live.rows("SELECT count(*) FROM panel_sessions") == [(0,)]
