"""``GET /``: a link to every surface for each kind of user; demo sign-in in development only."""

import re
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from convonet.server import create_app
from convonet.settings import Settings
from convonet.storage.seed import DEMO_PASSWORD, DEMO_PIN, demo_credentials
from tests.conftest import test_settings as settings_for

# Pages other branches are building; the landing page links them already.
PENDING = {"/call-center", "/mortgage_dashboard"}
LOOPBACK, REMOTE = ("127.0.0.1", 50000), ("203.0.113.7", 50000)


async def landing(settings: Settings, client: tuple[str, int] = LOOPBACK) -> tuple[str, set[str]]:
    """The page's HTML, and the paths the app serves."""
    app = create_app(settings)
    app.state.runtime = SimpleNamespace(settings=settings)  # the page reads only settings
    served = {c.path for c in iter_route_contexts(app.routes) if c.path}
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        page = await http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    return page.text, served


def sections(html: str) -> dict[str, list[str]]:
    found = re.findall(r'<h2 id="(\w+)">.*?</h2>(.*?)</section>', html, re.S)
    return {name: re.findall(r'href="(/[^"]*)"', body) for name, body in found}


async def test_every_kind_of_user_finds_their_surfaces(tmp_path: Path) -> None:
    html, served = await landing(settings_for(tmp_path))
    links = sections(html)
    assert links["callers"] == ["/voice_assistant", "/reserve-online"]
    assert links["agents"] == ["/call-center", "/mortgage_dashboard"]
    assert links["supervisors"] == ["/agent-monitor", "/tool-execution"]
    assert {"/docs", "/metrics"} <= set(links["developers"])
    for path in (p for paths in links.values() for p in paths):
        assert path in served or path in PENDING, f"the landing page links {path}, not served"


@pytest.mark.parametrize("environment", ["test", "production"])
async def test_no_credentials_outside_development(tmp_path: Path, environment: str) -> None:
    secrets = {"jwt_secret": "j" * 40, "pin_hash_secret": "p" * 40}
    html, _ = await landing(settings_for(tmp_path, environment=environment, **secrets))
    assert "Demo sign-in" not in html
    assert DEMO_PASSWORD not in html and f">{DEMO_PIN}<" not in html


async def test_development_shows_the_demo_sign_in_to_local_clients_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, environment="development")
    demo = demo_credentials(settings)
    html, _ = await landing(settings)
    assert "Demo sign-in (development only)" in html
    assert f'<code id="demo-pin">{demo.pin}</code>' in html
    assert f'<code id="demo-password">{demo.password}</code>' in html
    remote, _ = await landing(settings, REMOTE)
    assert "Demo sign-in" not in remote and demo.password not in remote
