"""/social-stats: today, `7d`, a date range, an agent (mention, id or @name), combinations; bad input gets the
usage, privately, never a trace; the answer comes in the acknowledgement, or right after it when the figures take
longer than Slack lets an acknowledgement wait."""

import json
import threading

import pytest

from tests.db_hazards import table_away
from tests.harness import cards, click, wait_until


@pytest.fixture
def worked_case(bot, slack, x, customer):
    """A case opened today, claimed and answered by Ana."""
    slack.add_user("UANA", "ana", "Ana López")
    x.post(customer["id"], "@AcmeSupport my #refund never arrived")
    bot.cycle()
    card = cards(slack)[-1]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
    bot.slack.say("UANA", "C_INBOX", "Sorry! Your refund is on its way.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts())
    wait_until(lambda: "Posted on X" in json.dumps(slack.replies("C_INBOX", card["ts"])))
    return card


def shown(delivery, slack=None) -> str:
    """What the person reads, privately: the figures in the ack, or, when they took longer, right after it."""
    assert delivery.status == 200
    answer = delivery.json if delivery.body.strip() else None
    if answer is None:
        assert slack is not None, "the figures came after the ack: pass the Slack stand-in"
        answer = wait_until(lambda: slack.responses and slack.responses[-1])
    assert isinstance(answer, dict), delivery.body
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    return answer["text"] + "\n" + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def test_no_argument_gives_todays_figures_privately(bot, worked_case):
    delivery = bot.slack.command("UBEN", "/social-stats", "")

    text = shown(delivery, bot.slack.fake)
    assert "*Today*" in text and "*Cases opened*\\n1" in text and "100% (1 of 1)" in text
    assert "<@UANA> · 1 claim · 1 public reply · 0 resolved" in text
    assert "#refund (1)" in text and "Madrid (1)" in text


def test_slack_hears_back_without_waiting_for_slow_figures_which_follow_privately(bot, worked_case, monkeypatch):
    release = threading.Event()
    count = bot.bridge.metrics.report

    def slow_count(*args, **kwargs):  # figures over a long period of a large history
        assert release.wait(60)
        return count(*args, **kwargs)

    monkeypatch.setattr(bot.bridge.metrics, "report", slow_count)
    answered_before = len(bot.slack.fake.responses)

    delivery = bot.slack.command("UBEN", "/social-stats", "")

    assert delivery.status == 200 and delivery.body.strip() == "", "Slack heard back while the figures were counted"
    assert len(bot.slack.fake.responses) == answered_before
    release.set()
    text = shown(delivery, bot.slack.fake)
    assert "*Today*" in text and "*Cases opened*\\n1" in text


@pytest.mark.parametrize(
    ("table", "words"),
    [("event", "7d"), ("account", "7d"), ("event", "@ana 7d")],
    ids=["the events", "the accounts", "the agents, for a name"],
)
def test_figures_the_database_cannot_give_are_said_to_be_missing_and_come_when_asked_again(
    bot, worked_case, database_url, caplog, table, words
):
    def asked() -> str:
        answered_before = len(bot.slack.fake.responses)
        delivery = bot.slack.command("UBEN", "/social-stats", words)
        assert delivery.status == 200
        if delivery.body.strip() and not delivery.body.startswith("Looking up"):
            answer = delivery.json or {"text": delivery.body}  # Bolt sends an ack of text alone as plain text
        else:
            answer = wait_until(lambda: bot.slack.fake.responses[answered_before:])[-1]
        assert answer.get("response_type", "ephemeral") == "ephemeral"
        return answer["text"] + "\n" + json.dumps(answer.get("blocks", []), ensure_ascii=False)

    with table_away(database_url, table):
        failed = asked()
    assert failed.startswith("I could not count the figures just now") and "Ask again" in failed
    assert table not in failed and "Traceback" not in failed  # the cause is for the log, not the asker
    assert "/social-stats not counted" in caplog.text
    assert "no such table" in caplog.text or "does not exist" in caplog.text

    text = asked()
    assert "*Last 7 days*" in text and "*Cases opened*\\n1" in text


def test_the_last_n_days(bot, worked_case):
    text = shown(slack=bot.slack.fake, delivery=bot.slack.command("UBEN", "/social-stats", "7d"))
    assert "*Last 7 days*" in text and "*Cases opened*\\n1" in text


def test_a_date_range(bot, worked_case):
    text = shown(slack=bot.slack.fake, delivery=bot.slack.command("UBEN", "/social-stats", "2026-11-01..2026-11-15"))
    assert "01 Nov – 15 Nov 2026" in text
    assert "No cases were opened from 01 Nov – 15 Nov 2026." in text
    assert "Nothing happened from 01 Nov – 15 Nov 2026" in text


@pytest.mark.parametrize("argument", ["<@UANA|ana>", "<@UANA>", "UANA", "7d <@UANA|ana>", "<@UANA> today"])
def test_an_agent_by_mention_or_id(bot, worked_case, argument):
    text = shown(slack=bot.slack.fake, delivery=bot.slack.command("UBEN", "/social-stats", argument))
    assert "for <@UANA>" in text
    assert "<@UANA> · 1 claim · 1 public reply · 0 resolved" in text
    assert "*Cases opened*\\n1" in text  # the case Ana answered first


def test_a_campaign_with_a_period(bot, worked_case):
    text = shown(slack=bot.slack.fake, delivery=bot.slack.command("UBEN", "/social-stats", "7d acmesupport"))
    assert "*Last 7 days* in AcmeSupport" in text and "*Cases opened*\\n1" in text


def test_an_agent_with_no_activity(bot, worked_case):
    text = shown(slack=bot.slack.fake, delivery=bot.slack.command("UANA", "/social-stats", "<@UZED|zed>"))
    assert "<@UZED> · 0 claims · 0 public replies · 0 resolved" in text and "median handle" not in text
    assert "No cases were opened" in text


def test_counts_and_durations_read_as_a_manager_reads_them(bot, slack, x, customer):
    """One case answered late and closed within seconds of its claim, one answered in time: plural forms and
    durations in words, not `1 answereds`, `0s` or `1 cases of these`."""
    from datetime import UTC, datetime, timedelta

    # María wrote 90 minutes ago (the bridge was down): Ana answers late.
    x.post(customer["id"], "@AcmeSupport where is my order?", created_at=datetime.now(UTC) - timedelta(minutes=90))
    bot.cycle()
    card = cards(slack)[-1]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
    bot.slack.say("UANA", "C_INBOX", "It ships today, sorry for the wait.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts())
    click(bot, "UANA", slack.message("C_INBOX", card["ts"]), "case_resolve")
    wait_until(lambda: "Resolved" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
    tom = x.add_user("tom_r", "Tom R", followers=1)
    x.post(tom["id"], "@AcmeSupport hello")
    bot.cycle()

    text = shown(bot.slack.command("UBEN", "/social-stats", "7d"), slack)  # 7d: whatever the time of day

    assert "1 answered (1 late) · 1 waiting, not due yet" in text
    assert "*Median first response*\\n1 h 30 min" in text
    assert "<@UANA> · 1 claim · 1 public reply · 1 resolved · median handle time under a minute" in text
    assert "*Still without a reply now:* 1 of the 2 cases opened." in text
    assert "@tom_r> (1 follower)" in text
    for wrong in ("answereds", "cases of these", "0s", "1 followers"):
        assert wrong not in text


def test_an_agent_by_name_is_looked_up_and_answered_by_response_url(bot, slack, worked_case):
    delivery = bot.slack.command("UBEN", "/social-stats", "@ana 7d")

    assert delivery.status == 200 and delivery.body == "Looking up @ana…"
    [answer] = wait_until(lambda: [r for r in slack.responses if "for <@UANA>" in r.get("text", "")])
    assert answer["response_type"] == "ephemeral"
    assert "<@UANA> · 1 claim" in json.dumps(answer["blocks"], ensure_ascii=False)


def test_an_unknown_name_gets_the_usage(bot, slack, worked_case):
    bot.slack.command("UBEN", "/social-stats", "@nobody")

    [answer] = wait_until(lambda: [r for r in slack.responses if "nobody" in r.get("text", "")])
    assert "I know no agent called @nobody" in answer["text"] and "Usage" in answer["text"]


@pytest.mark.parametrize(
    "argument, reason",
    [
        ("last week", "Give one period"),
        ("foo", "`foo` is not a period I know"),
        ("0d", "between 1d and 366d"),
        ("400d", "between 1d and 366d"),
        ("2026-11-15..2026-11-01", "ends before it starts"),
        ("2026-02-30", "`2026-02-30` is not a date"),
        ("2025-01-01..2026-11-01", "longer than 366 days"),
        ("7d 30d", "Give one period"),
        ("<@UANA> <@UBEN>", "one agent at a time"),
        ("help", ""),
    ],
)
def test_malformed_arguments_get_the_usage(bot, argument, reason):
    delivery = bot.slack.command("UBEN", "/social-stats", argument)

    assert delivery.status == 200
    assert "Usage:" in delivery.body and "/social-stats [period] [@agent]" in delivery.body
    assert reason in delivery.body
    assert "Traceback" not in delivery.body and "Error" not in delivery.body


def test_figures_that_take_longer_than_the_ack_can_wait_follow_it_privately(bot, worked_case, monkeypatch):
    import handlers.slack.commands

    monkeypatch.setattr(handlers.slack.commands, "INLINE_WAIT_SECONDS", 0)
    delivery = bot.slack.command("UBEN", "/social-stats", "7d")

    assert delivery.status == 200 and delivery.body == ""
    text = shown(delivery, bot.slack.fake)
    assert "*Last 7 days*" in text and "*Cases opened*\\n1" in text


def test_a_question_asked_again_while_figures_are_counted_is_counted_once_more_for_all_who_asked(
    bot, worked_case, monkeypatch
):
    """Figures over a long period keep a core busy, so they are counted one question at a time: those who ask the
    same while it waits its turn share one count (made after they all asked), and every one of them is answered."""
    release = threading.Event()
    count = bot.bridge.metrics.report
    counted = []

    def slow_count(period, **kwargs):
        counted.append(period.name)
        assert release.wait(60)
        return count(period, **kwargs)

    monkeypatch.setattr(bot.bridge.metrics, "report", slow_count)
    answered_before = len(bot.slack.fake.responses)
    deliveries = [bot.slack.command("UBEN", "/social-stats", "7d")]
    wait_until(lambda: counted == ["last 7 days"])

    deliveries += [bot.slack.command(user, "/social-stats", "7d") for user in ("UANA", "UCARLA", "UDANI")]
    deliveries.append(bot.slack.command("UBEN", "/social-stats", "today"))

    assert [d.status for d in deliveries] == [200] * 5
    assert all(d.body.strip() == "" for d in deliveries), "Slack heard back while the figures were counted"
    release.set()
    answers = wait_until(lambda: len(got := bot.slack.fake.responses[answered_before:]) >= 5 and got)
    bot.settle()
    assert len({answer["url"] for answer in answers}) == len(answers) == 5, "one answer for each person who asked"
    assert sum("*Last 7 days*" in answer["text"] for answer in answers) == 4
    assert sum("*Today*" in answer["text"] for answer in answers) == 1
    assert sorted(counted) == ["last 7 days", "last 7 days", "today"]
