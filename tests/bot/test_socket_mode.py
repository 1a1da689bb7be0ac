"""The inbox loop over Socket Mode: the real Bolt app and slack_sdk's Socket Mode client against the stand-in's
WebSocket, with envelopes acknowledged, lost, redelivered and connections dropped as Slack drops them."""

import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from bot.sandbox.standins.slack_socket import SocketModeDriver, SocketModeSlack
from storage.engine import session_scope
from storage.models import Event
from tests.harness import (
    SocketModeBot,
    buttons,
    card_text,
    cards,
    click,
    process_env,
    socket_mode_env,
    wait_until,
)


@pytest.fixture
def app(slack):
    with SocketModeSlack(slack) as server:
        yield server


@pytest.fixture
def bot(slack, x, database_url, app) -> SocketModeBot:
    running = SocketModeBot(socket_mode_env(slack, x, database_url, app), slack, app)
    yield running
    running.stop()


def claimed_card(bot, slack, x, customer) -> dict:
    x.post(customer["id"], "@AcmeSupport where is my parcel?")
    bot.cycle()
    card = cards(slack)[0]
    assert click(bot, "UANA", card, "case_claim").status == 200
    wait_until(lambda: "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"])))
    return card


def events_of(bot, kind: str) -> list:
    with session_scope(bot.bridge.engine, read_only=True) as s:
        return list(s.exec(select(Event).where(Event.kind == kind)))


def test_a_mention_becomes_a_card_and_is_claimed_answered_and_counted_over_the_socket(bot, slack, x, customer):
    card = claimed_card(bot, slack, x, customer)

    reply = bot.slack.say("UANA", "C_INBOX", "It is out for delivery today.", thread_ts=card["ts"])
    stats = bot.slack.command("UANA", "/social-stats")

    assert reply.status == 200 and reply.envelope.attempts[0].retry_attempt == 0
    wait_until(lambda: x.brand_posts(), timeout=10)
    assert [p["text"] for p in x.brand_posts()] == ["It is out for delivery today."]
    assert stats.status == 200, "the command's envelope was acknowledged"
    answer = wait_until(lambda: answer_to(slack, stats))
    assert "Today" in answer.get("text", "") and answer.get("blocks")
    usage = bot.slack.command("UANA", "/social-stats", "last fortnight please")
    assert "Usage" in (usage.json or {}).get("text", ""), "an answer given with the ack comes in the ack's payload"


def answer_to(slack, command) -> dict | None:
    """What the person who typed the command sees: the ack's payload, or what was posted to its response_url."""
    if command.json:
        return command.json
    url = command.payload["response_url"]
    return next((r for r in slack.responses if r["url"] == url), None)


def lock_the_database(database_url: str):
    """Another process holding the database's write lock: the bot cannot record anything until it is released."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    conn = engine.connect()
    if database_url.startswith("sqlite"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
        conn.execute(text("LOCK TABLE seendelivery IN ACCESS EXCLUSIVE MODE"))

    def release():
        conn.exec_driver_sql("ROLLBACK")
        conn.close()
        engine.dispose()

    return release


def test_a_thread_message_is_recorded_before_its_envelope_is_acknowledged(bot, slack, x, customer, database_url):
    card = claimed_card(bot, slack, x, customer)
    release = lock_the_database(database_url)
    try:
        pending = bot.slack.__class__(slack, bot.slack.socket_mode, wait=False).say(
            "UANA", "C_INBOX", "Sorry for the wait!", thread_ts=card["ts"]
        )
        # Slack waits 3 s for the ack, then sends the envelope again: by then nothing may have acknowledged it.
        wait_until(lambda: len(pending.envelope.attempts) >= 2, timeout=20)
        assert pending.envelope.acked_by is None, "acknowledged before it could be recorded"
    finally:
        release()

    assert pending.settle(timeout=30).status == 200
    wait_until(lambda: x.brand_posts(), timeout=10)
    assert [p["text"] for p in x.brand_posts()] == ["Sorry for the wait!"], "recorded once, sent once"


def test_a_click_whose_ack_was_lost_is_redelivered_and_acts_once(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport my card was charged twice")
    bot.cycle()
    card = cards(slack)[0]
    bot.slack.socket_mode.lose_next_acks(1)

    claim = click(bot, "UANA", card, "case_claim")

    assert claim.status == 200 and [a.retry_attempt for a in claim.envelope.attempts] == [0, 1]
    wait_until(lambda: "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"])))
    bot.listeners.shutdown(wait=True)  # every delivery of the click has been handled to the end
    assert len(events_of(bot, "claim")) == 1
    told = [r.get("text") or "" for r in slack.responses] + [e.get("text") or "" for e in slack.ephemerals]
    assert not [t for t in told if "already" in t], f"the redelivered click was acted on again: {told}"


def test_a_connection_dropped_mid_stream_loses_nothing_and_does_nothing_twice(bot, slack, x, customer):
    card = claimed_card(bot, slack, x, customer)
    quiet = bot.slack.__class__(slack, bot.slack.socket_mode, wait=False)
    texts = [f"Update {n}: we are on it." for n in range(6)]
    pending = []
    for n, words in enumerate(texts):
        pending.append(quiet.say("UANA", "C_INBOX", words, thread_ts=card["ts"]))
        if n == 2:
            wait_until(lambda: pending[0].envelope.acked_by)
            bot.slack.socket_mode.kill()
        if n == 4:
            wait_until(lambda: bot.slack.socket_mode.open_connections(), timeout=10)
            bot.slack.socket_mode.disconnect("warning")

    assert all(p.settle(timeout=60).status == 200 for p in pending)
    wait_until(lambda: len(x.brand_posts()) >= len(texts), timeout=20)
    assert sorted(p["text"] for p in x.brand_posts()) == sorted(texts)
    assert bot.slack.socket_mode.connections_opened >= 3, "it reconnected after the drop and after the warning"


def test_clicks_from_several_people_at_once_over_one_socket_have_one_winner(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport help")
    bot.cycle()
    card = cards(slack)[0]
    quiet = bot.slack.__class__(slack, bot.slack.socket_mode, wait=False)
    value = buttons(card)["case_claim"]
    clicks = []
    threads = [
        threading.Thread(target=lambda u=u: clicks.append(quiet.click(u, "C_INBOX", card["ts"], "case_claim", value)))
        for u in ("UANA", "UBEN", "UCARLA")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(c.settle(timeout=20).status == 200 for c in clicks)
    told = wait_until(lambda: len(slack.responses) == 2 and [r["text"] for r in slack.responses])
    assert all("already claimed by" in t for t in told), "each loser is told who owns it"
    assert len(events_of(bot, "claim")) == 1


def test_python_m_bot_run_with_an_app_token_runs_the_inbox_loop_through_dropped_connections(
    slack, x, customer, database_url, app, tmp_path
):
    env = socket_mode_env(slack, x, database_url, app, LOG_LEVEL="DEBUG")
    x.post(customer["id"], "@AcmeSupport my order never came")
    log_file = (tmp_path / "bot.log").open("w")  # not a pipe: a full pipe would stop every thread that logs
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=process_env(env), cwd=tmp_path, stdout=log_file, stderr=log_file
    )
    people, quiet = SocketModeDriver(slack, app), SocketModeDriver(slack, app, wait=False)
    replies = ["A new one goes out today.", "Tracking number: 1Z999.", "It left the depot.", "Out for delivery."]
    try:
        card = wait_until(lambda: cards(slack), timeout=60)[0]
        assert people.click("UANA", "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"]).status == 200
        wait_until(lambda: "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"])), timeout=10)
        people.say("UANA", "C_INBOX", replies[0], thread_ts=card["ts"])
        wait_until(lambda: x.brand_posts(), timeout=15)
        stats = people.command("UANA", "/social-stats", "7d")
        assert "Last 7 days" in wait_until(lambda: answer_to(slack, stats), timeout=10).get("text", "")

        # The connection dies and Slack cannot be reached for a while: the worker goes on polling X meanwhile.
        app.refusing = True
        app.kill()
        x.post(x.add_user("jon_b", "Jon Baker")["id"], "@AcmeSupport is the shop open on Sunday?")
        wait_until(lambda: len(cards(slack)) == 2, timeout=90)
        typed_meanwhile = quiet.say("UANA", "C_INBOX", replies[1], thread_ts=card["ts"])
        app.refusing = False
        assert typed_meanwhile.settle(timeout=90).status == 200, "delivered once the bot was back"

        # Slack refreshes the connection while messages are on their way.
        in_flight = [quiet.say("UANA", "C_INBOX", text, thread_ts=card["ts"]) for text in replies[2:]]
        app.disconnect("refresh_requested")
        assert all(d.settle(timeout=90).status == 200 for d in in_flight)
        wait_until(lambda: len(x.brand_posts()) >= len(replies), timeout=60)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=30)
        log_file.close()
        log = (tmp_path / "bot.log").read_text()
        print(log)  # shown when the test fails
    assert bot.returncode == 0, log
    assert sorted(p["text"] for p in x.brand_posts()) == sorted(replies), "each reply went out once"
    assert app.connections_opened >= 3, "a new connection after the drop and after the refresh"
    assert app.app_token not in log and slack.bot_token not in log, "a secret reached the log"


def test_run_with_an_app_token_slack_refuses_stops_with_a_message_naming_it(slack, x, database_url, app, tmp_path):
    env = socket_mode_env(slack, x, database_url, app, SLACK_APP_TOKEN="xapp-1-A0TEST-1-revoked")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=process_env(env), cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "invalid_auth" in result.stderr
    assert "connections:write" in result.stderr, "it says what to do"
    assert "Traceback" not in result.stderr and "xapp-1-A0TEST-1-revoked" not in result.stderr


def test_an_envelope_is_acknowledged_before_the_slow_work_it_starts(bot, slack, x, customer):
    card = claimed_card(bot, slack, x, customer)
    x.latency = 3.0  # X takes longer to answer than Slack waits for an ack

    reply = bot.slack.say("UANA", "C_INBOX", "Checking with the courier now.", thread_ts=card["ts"])

    assert reply.status == 200 and len(reply.envelope.attempts) == 1, "acknowledged in time, not sent again"
    assert x.brand_posts() == [], "the ack did not wait for X"
    wait_until(lambda: x.brand_posts(), timeout=30)
