"""The sandbox in Socket Mode: the page's actions reach the bot as envelopes over the stand-in's WebSocket."""

import signal
import subprocess
import sys
from collections import Counter

import pytest

from bot.sandbox import Sandbox
from bot.sandbox.runtime import INBOX
from tests.bot.test_sandbox import LUCIA, act, card_of, fragments, get
from tests.harness import buttons, card_text, process_env, sigterm_to_a_thread, wait_until


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("sandbox"), socket_mode=True) as running:
        yield running


def test_the_bot_runs_with_the_app_level_token_and_no_signing_secret_and_the_page_says_so(sandbox, tmp_path):
    env = sandbox.env()

    assert env["SLACK_APP_TOKEN"].startswith("xapp-") and "SLACK_SIGNING_SECRET" not in env
    assert sandbox.bot_url.startswith("ws://127.0.0.1:") and sandbox.describe()["mode"] == "Socket Mode"
    status, page = get(sandbox.url)
    assert status == 200 and '<span class="pill" title="How Slack reaches the bot in this sandbox">Socket Mode' in page
    assert "María García" in page, "the seeded cases were delivered over the socket too"
    assert "HTTP" in Sandbox(tmp_path).mode, "an HTTP sandbox says it is one"


def test_a_mention_is_claimed_answered_and_counted_from_the_page_over_the_socket(sandbox):
    sent_before = len(sandbox.socket.envelopes)
    act(sandbox, "mention", handle="@ines_p", name="Inés Prieto", text="My parcel is damaged")
    card = wait_until(lambda: card_of(sandbox, "ines_p"), timeout=15)

    claim = {"action_id": "case_claim", "value": buttons(card)["case_claim"]}
    status, answer = act(sandbox, "click", agent=LUCIA, channel=INBOX, ts=card["ts"], **claim)
    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: "*Claimed* by <@U0LUCIA>" in card_text(card_of(sandbox, "ines_p")))
    act(sandbox, "say", agent=LUCIA, channel=INBOX, thread_ts=card["ts"], text="A new one is on its way, Inés.")
    wait_until(lambda: any(p["text"] == "A new one is on its way, Inés." for p in sandbox.x.brand_posts()), timeout=15)
    status, answer = act(sandbox, "say", agent=LUCIA, channel=INBOX, text="/social-stats")
    assert (status, answer["ok"]) == (200, True)
    wait_until(lambda: "<b>Today</b>" in fragments(sandbox, LUCIA)["slack"], timeout=15)

    kinds = Counter(e.type for e in sandbox.socket.envelopes[sent_before:])
    assert kinds["interactive"] == 1 and kinds["events_api"] == 1 and kinds["slash_commands"] == 1
    assert all(e.acked_by for e in sandbox.socket.envelopes[sent_before:])


def test_python_m_bot_sandbox_socket_mode_starts_and_says_how_the_bot_is_reached(tmp_path):
    command = [sys.executable, "-m", "bot", "sandbox", "--socket-mode"]
    with open(tmp_path / "stderr.txt", "w") as errors:
        env = process_env({"PYTHONFAULTHANDLER": "1"})  # on SIGABRT, every thread's stack to stderr
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            lines = []
            while not lines or "Press Ctrl+C" not in lines[-1]:
                lines.append(process.stdout.readline())
                assert lines[-1], "the sandbox stopped before it was ready"
            ready = next(line for line in lines if "Sandbox ready" in line)
            status, page = get(ready.split("open ", 1)[1].strip())
            assert status == 200 and "Socket Mode" in page
            assert any("connected in Socket Mode to ws://127.0.0.1:" in line for line in lines), lines
        finally:
            sigterm_to_a_thread(process)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)  # say where it hangs
                process.wait(timeout=30)
                stacks = (tmp_path / "stderr.txt").read_text()[-30000:]
                pytest.fail(f"the sandbox did not stop within 30 s of SIGTERM; its threads then:\n{stacks}")
    assert code == 0, (tmp_path / "stderr.txt").read_text()[-3000:]
