"""The supervisor dashboards' pages: one shell (top bar, sign-in) around each page's content.

``static/monitor/shell.html`` holds what every dashboard shares; ``static/monitor/<page>.html``
holds a page's own content. A page is assembled once, on its first request.
"""

from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from string import Template

PAGES_DIR = Path(__file__).resolve().parents[1] / "static" / "monitor"


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One dashboard page.

    Attributes:
        name: Its content file and JS bundle (``agent_monitor`` → ``agent_monitor.html/.js``).
        path: Where it is served.
        title: Its title (tab, navigation and sign-in heading).
        hint: Who may sign in (under the sign-in heading).
    """

    name: str
    path: str
    title: str
    hint: str = "For supervisors and admins."


DASHBOARDS = (
    Dashboard("agent_monitor", "/agent-monitor", "Agent Monitor"),
    Dashboard("tool_execution", "/tool-execution", "Tool execution"),
    Dashboard(
        "mortgage_dashboard",
        "/mortgage_dashboard",
        "Mortgage applications",
        "For loan agents, supervisors and admins.",
    ),
    Dashboard(
        "call_center", "/call-center", "Call center", "For call-center agents and supervisors."
    ),
)


def _nav(current: Dashboard) -> str:
    links = []
    for page in DASHBOARDS:
        mark = ' aria-current="page"' if page == current else ""
        links.append(f'        <a href="{page.path}"{mark}>{escape(page.title)}</a>')
    return "\n".join(links)


@cache
def render_page(name: str) -> str:
    """The full HTML of the dashboard called ``name``.

    Raises:
        KeyError: No dashboard has that name.
    """
    page = next((p for p in DASHBOARDS if p.name == name), None)
    if page is None:
        raise KeyError(name)
    shell = Template((PAGES_DIR / "shell.html").read_text(encoding="utf-8"))
    return shell.substitute(
        title=escape(page.title),
        heading=escape(page.title),
        hint=escape(page.hint),
        script=page.name,
        nav=_nav(page),
        body=(PAGES_DIR / f"{page.name}.html").read_text(encoding="utf-8"),
    )
