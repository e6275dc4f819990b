"""``/mortgage_dashboard`` in headless Chromium: a change said to the bot appears live.

The driver signs in, sees the list, the selected application's figures, estimates and
checklist, and a bad filter's reason; then the caller says a new credit score
(``POST /agent/process``, the tool runs in its MCP subprocess) and the detail must show it
without a reload. The screenshot in ``docs/mortgage_dashboard.png`` comes from this test.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from convonet.domains.mortgage.calculator import checklist
from convonet.domains.mortgage.models import (
    ApplicationStatus,
    LoanType,
    MortgageApplication,
    MortgageDocument,
)
from convonet.storage.users import create_user
from tests.browser.test_agent_monitor_page import _wait_for_ready
from tests.browser.test_voice_assistant_page import needs_browser
from tests.conftest import LiveServer, connect, session_auth

DRIVER = Path(__file__).with_name("drive_mortgage_dashboard.mjs")
# Other borrowers' applications (older than the demo user's), so the list has some rows.
OTHERS = [
    ("Maria Lopez", ApplicationStatus.IN_REVIEW, LoanType.FHA, "285000", 20),
    ("Sam Carter", ApplicationStatus.SUBMITTED, LoanType.JUMBO, "910000", 45),
    ("Priya Shah", ApplicationStatus.APPROVED, LoanType.VA, "410000", 90),
]


async def _other_applications(live_app: LiveServer) -> None:
    async def add() -> None:
        settings = live_app.runtime.settings
        async with live_app.runtime.db.session() as session:
            for name, status, kind, amount, days in OTHERS:
                email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com"
                user = await create_user(
                    session, pin_secret=settings.pin_hash_secret, email=email, name=name
                )
                app = MortgageApplication(
                    user_id=user.id, status=status, loan_type=kind, loan_amount=Decimal(amount),
                    created_at=datetime.now(UTC) - timedelta(days=days),
                )  # fmt: skip
                app.documents = [
                    MortgageDocument(doc_type=slug, description=label)
                    for slug, label in checklist(kind.value)[: 3 + days % 4]
                ]
                session.add(app)

    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(add(), live_app.loop))


@pytest.mark.browser
@pytest.mark.integration
@needs_browser
async def test_spoken_change_updates_the_dashboard_without_reload(
    live_app: LiveServer, tmp_path: Path
) -> None:
    await _other_applications(live_app)
    shot = tmp_path / "mortgage_dashboard.png"
    command = [
        "node", str(DRIVER), "--url", live_app.url, "--expect-score", "802",
        "--screenshot", str(shot),
    ]  # fmt: skip
    driver = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert driver.stdout is not None and driver.stderr is not None
        ready = await asyncio.wait_for(_wait_for_ready(driver.stdout), 40)
        assert ready, (await driver.stderr.read()).decode()[-2000:]
        started = await connect(live_app.url)
        async with httpx.AsyncClient(
            base_url=live_app.url, headers=session_auth(started), timeout=30
        ) as caller:
            said = {"text": "My credit score is 802", "session_id": started["session_id"]}
            answer = await caller.post("/agent/process", json=said)
        assert answer.status_code == 200, answer.text
        raw_out, raw_err = await asyncio.wait_for(driver.communicate(), 40)
    finally:
        if driver.returncode is None:
            driver.kill()
    lines = raw_out.decode().strip().splitlines()
    assert lines, f"driver printed nothing; stderr:\n{raw_err.decode()[-2000:]}"
    result = json.loads(lines[-1])
    assert driver.returncode == 0 and result["ok"], f"failed at {result.get('step')}: {result}"
    assert result["rows"] >= 4 and result["before"] != "802"
    assert result["payment"].startswith("$")
    assert "received" in result["docsNote"]
    assert "min_amount is more than max_amount" in result["filterError"]
    assert "fresh" in result["freshRow"] and result["sameDocument"] is True
    assert shot.stat().st_size > 20_000
    # The bad filter's 422 is logged by Chromium as a failed resource; anything else is not.
    errors = [line for line in result["console"] if line.startswith(("pageerror", "error"))]
    assert [line for line in errors if "status of 422" not in line] == [], errors
    assert len(errors) == 1
