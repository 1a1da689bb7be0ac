"""The operating contract, from outside: `python -m bot …` with an environment, nothing else."""

import json
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from bot import command_settings
from bot.cli import COMMAND_HELP
from bot.command_settings import SETTINGS, X_USER_CREDENTIALS
from tests.fakes import SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, buttons, card_text, cards, process_env, wait_until


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
        wait_until(lambda: _healthy(base))
        card = wait_until(lambda: cards(slack))[0]

        driver = SlackDriver(slack, base + "/slack/events", SIGNING_SECRET)
        driver.click("UANA", "C_INBOX", card["ts"], "case_claim", card["blocks"][-1]["elements"][0]["value"])
        wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
        driver.say("UANA", "C_INBOX", "Yes, we are here to help!", thread_ts=card["ts"])
        wait_until(lambda: x.brand_posts())
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=60)[0] for proc in (web, worker)]
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


def test_web_starts_with_the_slack_settings_only_and_replies_wait_for_the_worker(env, slack, x, customer, tmp_path):
    x.post(customer["id"], "@AcmeSupport is anyone there?")
    assert run_cli(["poll-once"], env, tmp_path).returncode == 0
    card = cards(slack)[0]
    slack_only = {k: v for k, v in env.items() if not k.startswith("X_")}
    slack_only["PORT"] = str(free_port())
    base = f"http://127.0.0.1:{slack_only['PORT']}"
    web = start_cli(["web"], slack_only, tmp_path)
    try:
        wait_until(lambda: _healthy(base), timeout=60)
        driver = SlackDriver(slack, base + "/slack/events", SIGNING_SECRET)
        challenge = json.dumps({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9"})
        verified = driver.post_raw(challenge.encode(), content_type="application/json")
        assert verified.status == 200 and verified.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9"}

        assert click_as(driver, "UANA", card, "case_claim").status == 200
        wait_until(lambda: "*Claimed* by <@UANA>" in card_text(slack.message("C_INBOX", card["ts"])), timeout=30)
        assert driver.say("UANA", "C_INBOX", "Yes, we are here to help!", thread_ts=card["ts"]).status == 200
        told = wait_until(lambda: _thread_says(slack, card, "Not posted yet"), timeout=30)
        assert "X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET are not set" in told
        assert "python -m bot worker" in told
        assert driver.command("UANA", "/social-stats").status == 200
        assert not x.brand_posts(), "a process without X credentials posts nothing"
    finally:
        web.send_signal(signal.SIGTERM)
        said = web.communicate(timeout=30)[0]
    assert "Serving Slack only" in said and "X_ACCESS_TOKEN_SECRET" in said, said[-2000:]

    worker = start_cli(["worker"], env, tmp_path)
    try:
        wait_until(lambda: x.brand_posts(), timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
    assert [p["text"] for p in x.brand_posts()] == ["Yes, we are here to help!"]
    assert _thread_says(slack, card, "Posted on X by <@UANA>")


def click_as(driver, user: str, card: dict, action_id: str):
    return driver.click(user, "C_INBOX", card["ts"], action_id, buttons(card)[action_id])


def _thread_says(slack, card: dict, words: str) -> str | None:
    return next((m["text"] for m in slack.replies("C_INBOX", card["ts"]) if words in m["text"]), None)


def _help_entries(text: str) -> dict[str, str]:
    """The settings section of a command's --help: name -> what it says of it (wrapped lines joined)."""
    entries: dict[str, str] = {}
    section = text.split("settings it reads", 1)[1].splitlines()[1:]
    for line in section:
        if line.startswith("  ") and not line.startswith("   "):
            name, _, words = line.strip().partition(" ")
            entries[name] = words.strip()
        elif line.strip():
            entries[name] += " " + line.strip()
    return entries


def test_each_command_explains_itself_and_the_settings_it_reads(tmp_path):
    helps = {name: start_cli([name, "--help"], {}, tmp_path) for name in COMMAND_HELP}
    texts = {name: proc.communicate(timeout=120)[0] for name, proc in helps.items()}

    for name, text in texts.items():
        assert helps[name].returncode == 0, text
        assert " ".join(COMMAND_HELP[name][1].split()[:8]) in " ".join(text.split()), name
        assert set(_help_entries(text)) == set(command_settings.reads(name)), name
    web = _help_entries(texts["web"])
    assert web["SLACK_SIGNING_SECRET"].endswith("Required unless SLACK_APP_TOKEN is set (Socket Mode).")
    assert "replies wait in their queue for the worker" in web["X_ACCESS_TOKEN"]
    assert "POLL_INTERVAL_SECONDS" not in web
    worker = _help_entries(texts["worker"])
    assert "Required without ACCOUNTS_FILE" in worker["X_ACCESS_TOKEN"]
    assert "default 60" in worker["POLL_INTERVAL_SECONDS"]
    assert set(_help_entries(texts["migrate"])) == {"DATABASE_URL", "LOG_LEVEL"}


@pytest.mark.parametrize("command", ["web", "worker", "poll-once", "digest"])
def test_what_help_calls_required_is_what_a_start_without_settings_names(command, tmp_path):
    """With nothing set, every setting `--help` calls required (in any case) is missing, and no other."""
    helped = start_cli([command, "--help"], {}, tmp_path)
    started = run_cli([command], {}, tmp_path)
    entries = _help_entries(helped.communicate(timeout=120)[0])
    required = {name for name, words in entries.items() if ". Required" in words}

    assert started.returncode == 2
    said = re.match(r"Cannot start: (.*) (?:is|are) not set$", started.stderr.splitlines()[0])
    assert said, started.stderr
    assert set(said.group(1).split(", ")) == required
    for name in required:
        assert f"\n  {name}: " in started.stderr, f"{name} is named without how to get it"


def test_an_unknown_command_lists_every_command_the_bot_has(tmp_path):
    result = run_cli(["wrker"], {}, tmp_path)

    assert result.returncode == 2
    assert "Unknown command 'wrker' (did you mean 'worker'?)" in result.stderr
    for name, (summary, _) in COMMAND_HELP.items():
        assert re.search(rf"^  {re.escape(name)} +{re.escape(summary)}$", result.stderr, re.M), name
    assert "python -m bot <command> --help" in result.stderr


def test_doctor_without_any_setting_names_each_required_one_with_its_fix(tmp_path):
    result = run_cli(["doctor"], {}, tmp_path)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_INBOX_CHANNEL", *X_USER_CREDENTIALS):
        line = next((line for line in lines if name in line and line.startswith("FAIL")), None)
        assert line is not None, f"{name} is not named:\n{result.stdout}"
        assert SETTINGS[name].fix in line, line
    assert "FAIL  Inbox channel: SLACK_INBOX_CHANNEL is not set → fix: set it to the channel's ID" in result.stdout
