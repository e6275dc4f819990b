"""``/agent-monitor`` and ``/tool-execution`` in headless Chromium while a spoken call runs.

The driver signs in on both pages and waits for their live streams; then a scripted caller
(real Piper speech at real-time pace over ``/ws``) asks for a to-do, and the new turn, its
waterfall and its tool call must appear on both pages without a reload.
"""

import asyncio
import json
from pathlib import Path

import pytest

from tests.browser.test_voice_assistant_page import needs_browser
from tests.conftest import LiveServer, connect
from tests.fakes.speech import silence, synthesize
from tests.fakes.voice_client import VoiceClient

DRIVER = Path(__file__).with_name("drive_agent_monitor.mjs")


async def _wait_for_ready(stdout: asyncio.StreamReader) -> bool:
    """Whether the driver printed READY (before ending)."""
    while line := await stdout.readline():
        if line.decode().strip() == "READY":
            return True
    return False


async def _spoken_todo_call(live_app: LiveServer) -> None:
    answer = await connect(live_app.url)
    async with VoiceClient(str(answer["ws_url"])) as client:
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 1, timeout=15)
        await client.speak(synthesize("Add buy milk to my to-do list.") + silence(1.5))
        await client.wait_for(lambda r: len(r.rtvi("bot-stopped-speaking")) >= 2, timeout=25)


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
async def test_live_turn_and_tool_call_appear_without_reload(
    live_app: LiveServer, tmp_path: Path
) -> None:
    shots = {"monitor": tmp_path / "agent_monitor.png", "tools": tmp_path / "tool_execution.png"}
    command = [
        "node", str(DRIVER), "--url", live_app.url, "--expect-text", "milk",
        "--expect-tool", "create_todo", "--screenshot", str(shots["monitor"]),
        "--tools-screenshot", str(shots["tools"]), "--timeout", "40000",
    ]  # fmt: skip
    driver = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert driver.stdout is not None and driver.stderr is not None
        ready = await asyncio.wait_for(_wait_for_ready(driver.stdout), 40)
        assert ready, (await driver.stderr.read()).decode()[-2000:]
        await _spoken_todo_call(live_app)
        raw_out, raw_err = await asyncio.wait_for(driver.communicate(), 90)
    finally:
        if driver.returncode is None:
            driver.kill()
    out, err = raw_out.decode(), raw_err.decode()
    lines = out.strip().splitlines()
    assert lines, f"driver printed nothing; stderr:\n{err[-2000:]}"
    result = json.loads(lines[-1])
    assert driver.returncode == 0 and result["ok"], f"failed at {result.get('step')}: {result}"

    for page in ("monitor", "tools"):
        assert result[page] == {"sameDocument": True, "navigations": 1}, result[page]
        assert shots[page].stat().st_size > 20_000
    assert any(chip.startswith("create_todo") for chip in result["turnChips"])
    assert "completed" in result["turnCells"][-1]
    assert "create_todo" in result["toolCells"] and "ok" in result["toolCells"]
    assert "milk" in json.loads(result["toolArgs"])["title"]
    assert not [line for line in result["console"] if line.startswith(("pageerror", "error"))]
