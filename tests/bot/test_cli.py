"""The operating contract, from outside: `python -m bot …` with an environment, nothing else."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from bot import command_settings
from bot.cli import COMMAND_HELP
from bot.command_settings import SETTINGS, X_USER_CREDENTIALS
from storage import leases
from storage.engine import make_engine, session_scope
from tests.db_hazards import read_only, write_lock_held
from tests.fakes import SlackDriver
from tests.harness import (
    SETTINGS_OF_THE_MACHINE,
    SIGNING_SECRET,
    bot_env,
    buttons,
    card_text,
    cards,
    free_port,
    process_env,
    sigterm_to_a_thread,
    wait_until,
)


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


def test_a_token_pasted_into_a_url_setting_is_not_echoed(env, tmp_path):
    env["X_API_URL"] = env["X_ACCESS_TOKEN_SECRET"]
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "X_API_URL" in result.stderr
    assert env["X_ACCESS_TOKEN_SECRET"] not in result.stderr + result.stdout


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


def test_an_overflow_channel_the_bot_is_not_in_is_named_before_a_card_goes_there(env, slack, tmp_path):
    slack.add_channel("C_OVER", member=False)
    env["OVERFLOW_CHANNELS"] = "C_OVER"
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "OVERFLOW_CHANNELS=C_OVER" in result.stderr and "not a member" in result.stderr

    result = run_cli(["doctor"], env, tmp_path)
    [line] = [line for line in result.stdout.splitlines() if "Overflow channel" in line]
    assert "FAIL" in line and "C_OVER" in line

    env["OVERFLOW_CHANNELS"] = "C_OVER,C_INBOX"
    result = run_cli(["poll-once"], env, tmp_path)
    assert result.returncode != 0 and "OVERFLOW_CHANNELS names SLACK_INBOX_CHANNEL (C_INBOX) itself" in result.stderr


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
    assert worker.returncode == 0 and web.returncode == 0, "a SIGTERM stops either cleanly"
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


BAD_DATABASE_URLS = {
    "mysql": "mysql://bridge:pw-secret@db.example/inbox",
    "http": "http://bridge:pw-secret@db.example/inbox",
    "psycopg2": "postgresql+psycopg2://bridge:pw-secret@127.0.0.1/inbox",
    "no-folder": "sqlite:////nonexistent/dir/x.db",
    "garbage": "bridge:pw-secret@db.example/inbox",
    "spaces": "not a url://bridge:pw-secret@x",
}
COMMANDS = ["run", "web", "worker", "poll-once", "migrate", "digest", "doctor"]


def assert_one_clean_message(returncode: int, output: str) -> None:
    assert returncode != 0
    assert "DATABASE_URL" in output and "sqlite:///" in output and "postgresql+psycopg://" in output, output
    assert "Traceback" not in output and "pw-secret" not in output, output


@pytest.mark.parametrize("url", BAD_DATABASE_URLS.values(), ids=BAD_DATABASE_URLS.keys())
def test_a_bad_database_url_gets_one_clean_message_in_every_command(env, url, monkeypatch, capsys):
    from bot import cli

    for name in [k for k in os.environ if k.startswith(SETTINGS_OF_THE_MACHINE)]:
        monkeypatch.delenv(name)
    for name, value in {**env, "DATABASE_URL": url}.items():
        monkeypatch.setenv(name, value)
    for command in COMMANDS:
        returncode = cli.main([command])
        captured = capsys.readouterr()
        assert_one_clean_message(returncode, captured.out + captured.err)


@pytest.mark.parametrize(
    "command, url",
    [
        ("web", BAD_DATABASE_URLS["psycopg2"]),
        ("migrate", BAD_DATABASE_URLS["spaces"]),
        ("doctor", BAD_DATABASE_URLS["mysql"]),
    ],
)
def test_a_bad_database_url_is_named_by_the_command_itself(env, tmp_path, command, url):
    result = run_cli([command], {**env, "DATABASE_URL": url}, tmp_path)

    assert_one_clean_message(result.returncode, result.stdout + result.stderr)


def test_a_read_only_database_stops_the_start_naming_it(env, database_url, tmp_path):
    with read_only(database_url):
        results = [run_cli([command], env, tmp_path, timeout=60) for command in ("web", "poll-once")]

    for result in results:
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "DATABASE_URL" in result.stderr and "read-only" in result.stderr, result.stderr


def test_web_restarts_and_answers_healthz_while_another_process_holds_a_write_lock(env, database_url, tmp_path):
    env["PORT"] = str(free_port())
    assert run_cli(["poll-once"], env, tmp_path).returncode == 0  # it ran before: its brand account is stored
    with write_lock_held(database_url):
        web = start_cli(["web"], env, tmp_path)
        try:
            health = wait_until(lambda: _health(f"http://127.0.0.1:{env['PORT']}"), timeout=25)
        finally:
            web.send_signal(signal.SIGTERM)
            output = web.communicate(timeout=20)[0]
    assert health == {"ok": True, "database": "writable"}, output
    assert "Traceback" not in output


@pytest.mark.slow
def test_poll_once_under_a_write_lock_that_outlasts_its_wait_says_so(env, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's busy timeout; PostgreSQL waits for a lock as long as it is held")
    with write_lock_held(database_url):
        result = run_cli(["poll-once"], env, tmp_path, timeout=120)

    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr and "write lock" in result.stderr, result.stderr


def test_debug_logs_carry_no_authorization_header_and_no_refused_body(env, slack, x, customer, tmp_path):
    env.update(PORT=str(free_port()), LOG_LEVEL="DEBUG")
    x.post(customer["id"], "@AcmeSupport my parcel")
    assert run_cli(["poll-once"], env, tmp_path).returncode == 0
    card = cards(slack)[0]
    polled = run_cli(["poll-once"], env, tmp_path)
    web = start_cli(["web"], env, tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"
    marker = "BODY-MARKER-7f3a"
    try:
        wait_until(lambda: _healthy(base), timeout=20)
        from tests.fakes import SlackDriver

        driver = SlackDriver(slack, base + "/slack/events", SIGNING_SECRET)
        forged = json.dumps({"type": "event_callback", "event": {"text": marker}}).encode()
        refused = [
            driver.post_raw(forged, content_type="application/json", signature="v0=" + "0" * 64).status,
            driver.post_raw(forged, content_type="application/json", timestamp=0).status,
            requests.post(base + "/slack/events", data=marker.encode() * 200_000, timeout=30).status_code,
        ]
        driver.click("UANA", "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])
        wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]), timeout=10)
        driver.say("UANA", "C_INBOX", "We are on it", thread_ts=card["ts"])
        wait_until(lambda: x.brand_posts(), timeout=10)
    finally:
        web.send_signal(signal.SIGTERM)
        output = web.communicate(timeout=20)[0]
    logs = output + polled.stderr
    assert refused == [401, 401, 413]
    assert "DEBUG" in logs, "the bot did log at DEBUG"
    assert marker not in logs, "a refused body reached the log"
    assert not re.search(r"(?i)authorization['\"]?\s*[:=]\s*['\"]?(oauth|bearer)\s", logs), "an Authorization header"
    assert not re.search(r"oauth_signature=\"?[A-Za-z0-9%]", logs), "an OAuth signature reached the log"


def _health(base: str) -> dict | None:
    try:
        response = requests.get(base + "/healthz", timeout=5)
    except requests.RequestException:
        time.sleep(0.1)
        return None
    return response.json() if response.status_code == 200 else None


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
        sigterm_to_a_thread(worker)
        worker.communicate(timeout=30)
    assert [p["text"] for p in x.brand_posts()] == ["Yes, we are here to help!"]
    assert _thread_says(slack, card, "Posted on X by <@UANA>")


@pytest.mark.parametrize("stop", [sigterm_to_a_thread, lambda process: process.send_signal(signal.SIGINT)])
def test_run_stopped_by_a_platform_finishes_cleanly_and_hands_the_lead_over(env, database_url, tmp_path, stop):
    """A platform restarts a process with SIGTERM (to any of its threads); a person stops it with Ctrl-C."""
    env["PORT"] = str(free_port())
    engine = make_engine(database_url)
    bot = start_cli(["run"], env, tmp_path)
    try:
        wait_until(lambda: _healthy(f"http://127.0.0.1:{env['PORT']}"), timeout=60)
        wait_until(lambda: _leader(engine), timeout=60)
    finally:
        stop(bot)
        said = bot.communicate(timeout=60)[0]
    assert bot.returncode == 0, said[-3000:]
    assert "Traceback" not in said, said[-3000:]
    assert _leader(engine) is None, "the lease was left to run out: a standby would wait for it"
    engine.dispose()


def _leader(engine) -> str | None:
    with session_scope(engine) as s:
        return leases.holder_of(s, name=leases.WORKER_LEADER)


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
