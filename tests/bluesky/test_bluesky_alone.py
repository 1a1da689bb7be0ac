"""A brand on Bluesky alone: BLUESKY_HANDLE and no X setting at all, as an installer without an X account sets it.
Through `python -m bot …` in processes of their own, against the Slack and XRPC stand-ins."""

import signal

from tests.bot.test_cli import _healthy, run_cli, start_cli
from tests.fakes import SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, buttons, card_text, cards, free_port, wait_until


def bluesky_alone_env(slack, bsky, database_url) -> dict[str, str]:
    return bot_env(
        slack,
        None,
        database_url,
        BLUESKY_HANDLE="acme.test",
        BLUESKY_APP_PASSWORD="brand-app-pass",
        BLUESKY_PDS_URL=bsky.url,
    )


def test_a_brand_on_bluesky_alone_runs_mirrors_and_answers_without_any_x_setting(slack, bsky, database_url, tmp_path):
    env = {**bluesky_alone_env(slack, bsky, database_url), "PORT": str(free_port()), "LOG_LEVEL": "DEBUG"}
    first = bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
    bot = start_cli(["run"], env, tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_until(lambda: _healthy(base), timeout=30)
        [card] = wait_until(lambda: cards(slack), timeout=30)
        assert "my parcel never came" in card_text(card) and "View on Bluesky" in str(card)

        driver = SlackDriver(slack, base + "/slack/events", SIGNING_SECRET)
        driver.click("UANA", "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])
        wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
        driver.say("UANA", "C_INBOX", "Sorry Carla, we are on it", thread_ts=card["ts"])
        [reply] = wait_until(lambda: bsky.replies_to(first), timeout=30)
    finally:
        bot.send_signal(signal.SIGTERM)
        logs = bot.communicate(timeout=60)[0]
    assert bot.returncode == 0, logs[-3000:]
    assert reply["record"]["text"] == "Sorry Carla, we are on it"
    assert "X_API_KEY" not in logs and "X could not" not in logs, logs[-3000:]
    assert "brand-app-pass" not in logs, "the app password reached the log"


def test_doctor_says_x_is_not_served_and_checks_the_bluesky_account(slack, bsky, database_url, tmp_path):
    result = run_cli(["doctor"], bluesky_alone_env(slack, bsky, database_url), tmp_path)

    lines = result.stdout.splitlines()
    assert any(line.startswith("skip") and "Bluesky alone" in line for line in lines), result.stdout
    assert any(line.startswith("ok") and "Bluesky reading notifications" in line for line in lines), result.stdout
    assert not any("X_API_KEY" in line or "X reading mentions" in line for line in lines), result.stdout


def test_an_x_setting_half_set_beside_bluesky_is_still_named_missing(slack, bsky, database_url, tmp_path):
    env = {**bluesky_alone_env(slack, bsky, database_url), "X_API_KEY": "only-the-key"}

    result = run_cli(["poll-once"], env, tmp_path)

    assert result.returncode == 2
    assert "X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET are not set" in result.stderr, result.stderr


def test_a_wrong_app_password_stops_the_start_naming_the_bluesky_settings(slack, bsky, database_url, tmp_path):
    env = {**bluesky_alone_env(slack, bsky, database_url), "BLUESKY_APP_PASSWORD": "not-the-password"}

    result = run_cli(["poll-once"], env, tmp_path)

    assert result.returncode == 2
    assert "BLUESKY_APP_PASSWORD" in result.stderr and "X_" not in result.stderr, result.stderr
    assert "not-the-password" not in result.stderr
