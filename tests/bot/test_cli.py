"""The operating contract, from outside: `python -m bot …` with an environment, nothing else."""

import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.harness import SIGNING_SECRET, bot_env, cards, process_env, wait_until


def run_cli(args, env, cwd, timeout=60):
    full_env = process_env(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def start_cli(args, env, cwd):
    full_env = process_env(env)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=full_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(slack, x, database_url):
    return bot_env(slack, x, database_url)


def test_poll_once_mirrors_and_exits(env, slack, x, customer, tmp_path):
    x.post(customer["id"], "@AcmeSupport my delivery is late")

    result = run_cli(["poll-once"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "stored 1 new mention" in result.stdout
    assert len(cards(slack)) == 1
    again = run_cli(["poll-once"], env, tmp_path)
    assert again.returncode == 0 and len(cards(slack)) == 1


@pytest.mark.parametrize("missing", ["SLACK_BOT_TOKEN", "SLACK_INBOX_CHANNEL", "X_ACCESS_TOKEN"])
def test_a_missing_setting_stops_the_start_naming_it(env, tmp_path, missing):
    del env[missing]
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_web_needs_the_signing_secret(env, tmp_path):
    del env["SLACK_SIGNING_SECRET"]
    result = run_cli(["web"], env, tmp_path)
    assert result.returncode != 0 and "SLACK_SIGNING_SECRET" in result.stderr


@pytest.mark.parametrize(
    "setting, value",
    [("PORT", "eighty"), ("TIMEZONE", "Mars/Olympus"), ("POLL_INTERVAL_SECONDS", "-5"), ("SLACK_APP_TOKEN", "xoxb-1")],
)
def test_a_wrong_setting_stops_the_start_naming_it(env, tmp_path, setting, value):
    env[setting] = value
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and setting in result.stderr


def test_tokens_refused_by_slack_or_x_are_named(env, slack, x, tmp_path):
    env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "SLACK_BOT_TOKEN" in result.stderr and "invalid_auth" in result.stderr

    env["SLACK_BOT_TOKEN"] = slack.bot_token
    x.set_credentials_valid(False)
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "X_ACCESS_TOKEN" in result.stderr


def test_an_unknown_or_unjoined_inbox_channel_is_named(env, slack, tmp_path):
    env["SLACK_INBOX_CHANNEL"] = "C_NOPE"
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "SLACK_INBOX_CHANNEL" in result.stderr

    slack.add_channel("C_OTHER", member=False)
    env["SLACK_INBOX_CHANNEL"] = "C_OTHER"
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "not a member" in result.stderr


def test_web_serves_events_and_healthz_and_worker_polls(env, slack, x, customer, tmp_path):
    env["PORT"] = str(free_port())
    env["LOG_LEVEL"] = "DEBUG"
    x.post(customer["id"], "@AcmeSupport is anyone there?")
    web = start_cli(["web"], env, tmp_path)
    worker = start_cli(["worker"], env, tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_until(lambda: _healthy(base), timeout=20)
        card = wait_until(lambda: cards(slack), timeout=20)[0]

        from tests.fakes import SlackDriver

        driver = SlackDriver(slack, base + "/slack/events", SIGNING_SECRET)
        driver.click("UANA", "C_INBOX", card["ts"], "case_claim", card["blocks"][-1]["elements"][0]["value"])
        wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]), timeout=10)
        driver.say("UANA", "C_INBOX", "Yes, we are here to help!", thread_ts=card["ts"])
        wait_until(lambda: x.brand_posts(), timeout=10)
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=20)[0] for proc in (web, worker)]
    assert worker.returncode == 0
    logs = "\n".join(outputs)
    for secret in (
        env["SLACK_BOT_TOKEN"],
        env["SLACK_SIGNING_SECRET"],
        env["X_API_SECRET"],
        env["X_ACCESS_TOKEN"],
        env["X_ACCESS_TOKEN_SECRET"],
        env["X_BEARER_TOKEN"],
    ):
        assert secret not in logs, "a secret reached the log"


def _healthy(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        time.sleep(0.1)
        return False
