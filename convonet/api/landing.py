"""``GET /``: the landing page linking every surface for each kind of user.

In development, and only to a client on this machine (loopback), the page also shows the
demo user's sign-in (email, voice PIN, password), the same line ``convonet serve`` prints at
start-up. The test environment's fixture credentials and production (which has no demo
user) are never shown.
"""

from html import escape
from ipaddress import ip_address
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from convonet.api.deps import SettingsDep
from convonet.settings import Settings
from convonet.storage.seed import DEMO_EMAIL, demo_credentials

PAGE = Path(__file__).parent.parent / "static" / "index.html"
MARKER = "<!-- demo-credentials -->"

router = APIRouter(tags=["pages"])


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def demo_panel(settings: Settings) -> str:
    """The demo sign-in box (development only; empty elsewhere)."""
    if settings.environment != "development":
        return ""
    demo = demo_credentials(settings)
    return f"""      <aside class="demo-credentials" aria-labelledby="demo-heading">
        <h2 id="demo-heading">Demo sign-in (development only)</h2>
        <dl>
          <dt>Email</dt><dd><code>{escape(DEMO_EMAIL)}</code></dd>
          <dt>Voice PIN</dt><dd><code id="demo-pin">{escape(demo.pin)}</code></dd>
          <dt>Password</dt><dd><code id="demo-password">{escape(demo.password)}</code></dd>
          <dt>Roles</dt><dd>{escape(", ".join(demo.roles))}</dd>
        </dl>
        <p>Supervisor and agent pages need those roles: <code>convonet users add --role
        supervisor</code>. With <code>DATABASE_URL</code> set, run <code>convonet db
        seed-demo</code> first.</p>
      </aside>
"""


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The landing page (demo sign-in shown in development, to local clients only)."""
    panel = demo_panel(settings) if _loopback(request) else ""
    return HTMLResponse(PAGE.read_text(encoding="utf-8").replace(MARKER, panel))
