"""The ``/voice_assistant`` page in headless Chromium, talking to a real server.

Chromium's fake microphone plays a WAV synthesized with the app's own Piper voice, so the
whole path runs: pipecat's browser client -> WebSocket -> VAD/STT -> agent -> TTS -> RTVI
transcript back in the page. Needs ``/usr/bin/chromium`` (Debian package ``chromium``) and
``npm ci --prefix web`` for ``playwright-core``.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.speech import silence, synthesize, to_wav

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("drive_voice_assistant.mjs")
CHROMIUM = Path("/usr/bin/chromium")
WEB = ROOT / "web"
STATIC = ROOT / "convonet" / "static"
BUNDLE = STATIC / "js" / "voice_assistant.js"


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return "needs /usr/bin/chromium (apt-get install chromium)"
    if shutil.which("node") is None:
        return "needs node on PATH"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return "needs web/node_modules/playwright-core (npm ci --prefix web)"
    return None


needs_browser = pytest.mark.skipif(_browser_missing() is not None, reason=_browser_missing() or "")


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question "What time is it?" between silences (Chromium loops the file)."""
    rate = 16000
    pcm = silence(1.5, rate) + synthesize("What time is it?", rate) + silence(3.0, rate)
    path = tmp_path_factory.mktemp("audio") / "what_time.wav"
    path.write_bytes(to_wav(pcm, rate))
    return path


@pytest.fixture(scope="module")
def transfer_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A caller asking for a person between silences."""
    rate = 16000
    pcm = silence(1.5, rate) + synthesize("I want to talk to a real person.", rate)
    path = tmp_path_factory.mktemp("audio") / "real_person.wav"
    path.write_bytes(to_wav(pcm + silence(6.0, rate), rate))
    return path


def drive(base_url: str, wav: Path, scenario: str, screenshot: Path) -> dict:
    """Run the Node driver and return the JSON it reports."""
    command = [
        "node", str(DRIVER), "--url", base_url, "--wav", str(wav),
        "--scenario", scenario, "--screenshot", str(screenshot), "--timeout", "45000",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=150, check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, f"driver printed nothing; stderr:\n{done.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert done.returncode == 0 and result["ok"], f"failed at {result.get('step')}: {result}"
    return result


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
def test_call_shows_greeting_question_and_answer(
    live_server: str, speech_wav: Path, tmp_path: Path
) -> None:
    screenshot = tmp_path / "voice_assistant.png"
    result = drive(live_server, speech_wav, "call", screenshot)

    assert "assistant" in result["bots"]
    assert "offline" in result["llms"]
    assert result["greeting"], "the greeting's bot transcript never appeared"
    assert "Demo" in result["greeting"], "the demo PIN should greet the demo user by name"
    assert re.search(r"\btime\b", result["user"], re.IGNORECASE)
    assert result["reply"] and result["reply"] != result["greeting"]
    # The clock answer of the offline agent: it says the time, e.g. "It's 6:27 AM."
    assert re.search(r"\d{1,2}:\d{2}", result["reply"]), result["reply"]
    # All of it in one page load, with the "please wait" timer shown between the turns.
    assert result["sameDocument"] and result["navigations"] == 1
    assert result["waitTimes"], "the please-wait indicator was never shown"
    assert any(tag.startswith("replied in") for tag in result["latencyTags"])
    assert result["errorBanner"] == ""
    assert not [line for line in result["console"] if line.startswith("pageerror")]
    assert screenshot.stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
def test_transfer_banner_follows_the_transfer(
    live_server: str, transfer_wav: Path, tmp_path: Path
) -> None:
    # The shared server has no Twilio credentials: the transfer is asked, then refused aloud.
    result = drive(live_server, transfer_wav, "transfer", tmp_path / "transfer.png")

    states = result["transferStates"]
    assert states[0] == "requested: Transfer requested support", states
    assert states[-1] == "failed: Transfer failed support", states
    assert result["banner"] == "Transfer failed support"
    assert "Transfer failed support" in result["notices"]
    assert not [line for line in result["console"] if line.startswith("pageerror")]


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
def test_unknown_bot_shows_the_servers_reason(
    live_server: str, speech_wav: Path, tmp_path: Path
) -> None:
    result = drive(live_server, speech_wav, "unknown-bot", tmp_path / "unknown_bot.png")

    assert "no-such-bot" in result["errorBanner"]  # the server's 400 detail, shown as is
    assert result["badge"] == "disconnected"
    assert result["connectLabel"] == "Connect"


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
def test_wrong_pin_shows_the_servers_message(
    live_server: str, speech_wav: Path, tmp_path: Path
) -> None:
    result = drive(live_server, speech_wav, "wrong-pin", tmp_path / "wrong_pin.png")

    assert "wrong PIN" in result["errorBanner"]  # the server's 401 detail
    assert result["badge"] == "disconnected"
    assert "Enter your voice PIN" in result["emptyPinBanner"]


def test_pages_load_nothing_from_other_hosts() -> None:
    pages = ("index.html", "voice_assistant.html", "reserve_online.html", "monitor/shell.html")
    pages += ("monitor/agent_monitor.html", "monitor/tool_execution.html")
    pages += ("monitor/mortgage_dashboard.html",)
    for page in pages:
        html = (STATIC / page).read_text()
        external = re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)
        assert external == [], f"{page} references {external}"
    assert BUNDLE.exists(), "run `npm run build --prefix web` and commit the bundle"
    assert "c.daily.co" not in BUNDLE.read_text()


@pytest.mark.skipif(
    not (WEB / "node_modules" / ".bin" / "esbuild").exists(),
    reason="needs web/node_modules (npm ci --prefix web)",
)
def test_committed_bundle_matches_the_source(tmp_path: Path) -> None:
    package = json.loads((WEB / "package.json").read_text())
    build = package["scripts"]["build"]
    target = "--outdir=../convonet/static/js"
    assert target in build, "the build script no longer writes the committed bundles"
    command = build.replace(target, f"--outdir={tmp_path}").split()
    command[0] = str(WEB / "node_modules" / ".bin" / command[0])
    subprocess.run(command, cwd=WEB, check=True, capture_output=True, timeout=60)
    built = sorted(path.name for path in tmp_path.glob("*.js"))
    expected = ["agent_monitor.js", "call_center.js", "mortgage_dashboard.js", "reserve_online.js"]
    assert built == [*expected, "tool_execution.js", "voice_assistant.js"], built
    for name in built:
        committed = STATIC / "js" / name
        assert committed.exists(), f"{name} is not committed: run `npm run build --prefix web`"
        stale = f"stale bundle {name}: run `npm run build --prefix web`"
        assert (tmp_path / name).read_bytes() == committed.read_bytes(), stale
