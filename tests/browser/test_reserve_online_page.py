"""``/reserve-online`` in headless Chromium: clear refusals, a 409 with the nearest time, a booking.

The page runs against the shared live server (real app, embedded SQLite with the seeded six
tables). A second guest books the last 8-top while the page shows it free; the page must
say why the booking failed, name the nearest free time, and then book it.
"""

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_voice_assistant_page import needs_browser
from tests.conftest import LiveServer

DRIVER = Path(__file__).with_name("drive_reserve_online.mjs")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.browser
@needs_browser
def test_booking_page_refusals_conflict_and_booking(live_app: LiveServer, tmp_path: Path) -> None:
    zone = ZoneInfo(live_app.settings.restaurant_timezone)
    day = (datetime.now(zone) + timedelta(days=3)).date().isoformat()
    shots = {name: tmp_path / f"{name}.png" for name in ("error", "booked", "landing")}
    command = [
        "node", str(DRIVER), "--url", live_app.url, "--date", day,
        "--screenshot", str(shots["error"]), "--booked-screenshot", str(shots["booked"]),
        "--landing-screenshot", str(shots["landing"]),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, f"driver printed nothing; stderr:\n{done.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert done.returncode == 0 and result["ok"], f"failed at {result.get('step')}: {result}"

    assert {"/voice_assistant", "/reserve-online", "/agent-monitor", "/docs"} <= set(
        result["landingLinks"]
    )
    assert "We book parties of up to 20" in result["tooLarge"] and result["slotsWhenRefused"] == 0
    assert result["bannerHiddenAgain"] and "America/New_York" in result["zoneHint"]
    assert result["otherGuest"] == 201
    assert "There is no table for 8 at 19:00" in result["conflict"]
    # 17:30 and 20:30 are both 90 minutes away: the earlier one is named.
    assert f"nearest free time is 17:30 on {day}" in result["conflict"]
    # The refreshed times keep the reason on screen.
    assert result["conflictStillShown"] == result["conflict"] and not result["bannerHidden"]
    assert f"8 on {day} at 20:30, under Ji-woo Kim" in result["confirmation"]
    assert len(result["code"]) == 8 and result["formHidden"]
    errors = [line for line in result["console"] if line.startswith(("pageerror", "error"))]
    # Chromium logs each refused request; these two (party 21, the taken table) are expected.
    assert [e.split("status of ")[-1][:3] for e in errors] == ["422", "409"], errors
    for shot in shots.values():
        assert shot.stat().st_size > 10_000
    # The committed screenshots (to refresh them, delete them and run this test).
    for name, shot in (("reserve_online", shots["error"]), ("landing", shots["landing"])):
        if not (DOCS / f"{name}.png").exists():
            (DOCS / f"{name}.png").write_bytes(shot.read_bytes())
