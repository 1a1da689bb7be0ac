"""The digests end to end: a day of real cases through the stand-ins, both digests and the chart posted to the
digest channel with the right numbers, the weekly one on Mondays, at most once per day across restarts."""

import threading
from datetime import UTC, date, datetime

import pytest

from bot import cli
from bot import worker as worker_module
from bot.domain.digests import DAILY, WEEKLY
from bot.domain.errors import ChatError
from bot.worker import Worker
from storage import digest_runs
from tests.db_hazards import table_away
from tests.harness import bot_env, cards, click, wait_until


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text).replace(tzinfo=UTC)


def texts(message: dict) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields") or []]
        for element in block.get("elements") or []:
            text = element.get("text", "")
            parts.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(parts)


def digests(slack) -> list[dict]:
    return [m for m in slack.messages("C_DIGEST") if m.get("blocks") and m["blocks"][0]["type"] == "header"]


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@pytest.fixture
def team(make_bot, clock):
    """A bot in Madrid (UTC+1 in November) whose clock the test moves."""
    bot = make_bot(TIMEZONE="Europe/Madrid", SLA_FIRST_RESPONSE_MINUTES="30", DIGEST_TIME="09:00")
    bot.bridge.clock = clock
    return bot


def live_a_sunday(bot, slack, x, customer, clock):
    """Sunday 22 November 2026, Madrid: María is answered in 20 minutes and resolved; Tom never is."""
    x.post(
        customer["id"], "@AcmeSupport my #refund never arrived", created_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    )
    clock.set("2026-11-22 10:01")
    bot.cycle()
    card = cards(slack)[-1]
    clock.set("2026-11-22 10:05")
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in texts(slack.message("C_INBOX", card["ts"])))
    clock.set("2026-11-22 10:20")
    bot.slack.say("UANA", "C_INBOX", "So sorry! The refund is on its way.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts() and "Posted on X" in str(slack.replies("C_INBOX", card["ts"])))
    clock.set("2026-11-22 10:50")
    click(bot, "UANA", slack.message("C_INBOX", card["ts"]), "case_resolve")
    wait_until(lambda: "Resolved" in texts(slack.message("C_INBOX", card["ts"])))

    tom = x.add_user("tom_r", "Tom R", followers=98000, location="Lisbon")
    x.post(tom["id"], "@AcmeSupport hello?? #refund", created_at=datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    clock.set("2026-11-22 15:01")
    bot.cycle()
    return card


def test_the_morning_digests_and_chart_carry_the_days_numbers(team, slack, x, customer, clock):
    card = live_a_sunday(team, slack, x, customer, clock)
    clock.set("2026-11-23 08:30")  # Monday 09:30 in Madrid

    outcomes = team.bridge.digests.post_due()

    assert [(o.cadence, o.period.key, o.posted) for o in outcomes] == [
        (DAILY, "2026-11-22", ["sla", "resolution", "chart"]),
        (WEEKLY, "2026-11-16..2026-11-22", ["sla", "resolution", "chart"]),
    ]
    sla, resolution, weekly_sla, weekly_resolution = (texts(m) for m in digests(slack))
    assert "SLA digest · Sun 22 Nov 2026" in sla
    assert "*Cases opened*\n2" in sla
    assert "*Answered within 30 min*\n50% (1 of 2)" in sla
    assert "*Median first response*\n20 min" in sla and "*90th percentile*\n20 min" in sla
    assert "*Breached: 1*" in sla and "@tom_r" in sla and "no reply after 17 h 30 min" in sla
    assert "1 answered · 1 unanswered past the target" in sla and "answereds" not in sla
    assert "*Still without a reply now:* 1 of the 2 cases opened." in sla
    thread_link = f"https://fake.slack.com/archives/C_INBOX/p{cards(slack)[-1]['ts'].replace('.', '')}"
    assert f"<{thread_link}|@tom_r>" in sla

    assert "Resolution digest · Sun 22 Nov 2026" in resolution
    for figure in ("*Opened*\n2", "*Resolved*\n1", "*Resolution rate*\n50%", "*Median resolution time*\n50 min"):
        assert figure in resolution
    assert "*Backlog*\n1" in resolution and "*Messages per case*\n1.5" in resolution
    assert "<@UANA> · 1 claim · 1 public reply · 1 resolved · median handle time 45 min" in resolution
    assert (
        "*AcmeSupport* · 2 opened · 50% answered within target · 3 messages · 1 resolved · median handle time 45 min"
    ) in resolution
    assert "Madrid (1)" in resolution and "Lisbon (1)" in resolution
    assert "@tom_r> (98,000 followers)" in resolution and "#refund (2)" in resolution

    assert "Weekly SLA digest · 16 Nov – 22 Nov 2026" in weekly_sla and "*Cases opened*\n2" in weekly_sla
    assert "Weekly resolution digest · 16 Nov – 22 Nov 2026" in weekly_resolution

    daily_chart, weekly_chart = slack.files
    assert daily_chart["channel"] == "C_DIGEST" and daily_chart["bytes"].startswith(b"\x89PNG")
    assert daily_chart["filename"] == "social-trend-daily-2026-11-22.png"
    assert "Last 14 days" in daily_chart["initial_comment"] and "Last 12 weeks" in weekly_chart["initial_comment"]
    assert card["ts"] not in [m["ts"] for m in slack.messages("C_DIGEST")]


def test_before_digest_time_the_day_before_is_not_due_yet(team, slack, clock):
    clock.set("2026-11-24 07:59")  # Tuesday 08:59 in Madrid: Sunday's digests (and the week's) are the latest due
    assert [(c, p.key) for c, p in team.bridge.digests.due()] == [
        (DAILY, "2026-11-22"),
        (WEEKLY, "2026-11-16..2026-11-22"),
    ]
    clock.set("2026-11-24 08:00")
    assert [(c, p.key) for c, p in team.bridge.digests.due()] == [(DAILY, "2026-11-23")]


def test_an_empty_day_is_said_plainly(team, slack, clock):
    clock.set("2026-11-25 09:00")
    team.bridge.digests.post_due()

    sla, resolution = (texts(m) for m in digests(slack))
    assert "No cases were opened on Tue 24 Nov 2026." in sla
    assert "Nothing happened on Tue 24 Nov 2026" in resolution
    for text in (sla, resolution):
        assert "nan" not in text.split() and "None" not in text
    assert slack.files[0]["bytes"].startswith(b"\x89PNG")


def test_a_digest_is_posted_at_most_once_per_day_across_restarts(make_bot, slack, clock):
    first = make_bot(TIMEZONE="Europe/Madrid")
    first.bridge.clock = clock
    clock.set("2026-11-25 09:00")
    first.bridge.digests.post_due()
    first.bridge.engine.dispose()  # the process is gone; the fixture stops its server

    again = make_bot(TIMEZONE="Europe/Madrid")  # a restart: a new process on the same database
    again.bridge.clock = clock
    outcome = again.bridge.digests.post_due()

    assert [(o.posted, sorted(o.skipped)) for o in outcome] == [([], ["chart", "resolution", "sla"])]
    assert len(digests(slack)) == 2 and len(slack.files) == 1

    clock.set("2026-11-26 09:00")  # the next day posts the next day's
    assert [o.posted for o in again.bridge.digests.post_due()] == [["sla", "resolution", "chart"]]
    assert len(digests(slack)) == 4


def test_workers_racing_for_the_same_digest_post_it_once(make_bot, slack, clock):
    bots = [make_bot(TIMEZONE="Europe/Madrid") for _ in range(3)]
    for b in bots:
        b.bridge.clock = clock
    clock.set("2026-11-25 09:00")
    start = threading.Barrier(len(bots))

    def post(bot):
        start.wait()
        bot.bridge.digests.post_due()

    threads = [threading.Thread(target=post, args=(b,)) for b in bots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(digests(slack)) == 2 and len(slack.files) == 1


def test_a_refused_post_is_not_recorded_so_a_later_run_posts_it(team, slack, clock):
    slack.add_channel("C_DIGEST", member=False)  # the bot was not invited to the digest channel
    clock.set("2026-11-25 09:00")

    with pytest.raises(ChatError) as refused:
        team.bridge.digests.post_due()
    assert refused.value.code == "not_in_channel"
    with team.bridge.session() as s:
        assert digest_runs.get_run(s, kind="daily-sla", period="2026-11-24") is None

    slack.add_channel("C_DIGEST", member=True)
    assert [o.posted for o in team.bridge.digests.post_due()] == [["sla", "resolution", "chart"]]


def test_the_worker_schedules_the_daily_job_and_catches_up_as_leader(team, slack, clock):
    clock.set("2026-11-25 09:00")
    worker = Worker(team.bridge, team.settings)
    worker.start()
    try:
        job = worker.scheduler.get_job("digests")
        assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, 3600, 1)
        assert str(job.trigger.timezone) == "Europe/Madrid"
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("9", "0")
        wait_until(lambda: len(slack.files) == 1)  # the new leader posts what is due at once
        assert len(digests(slack)) == 2
    finally:
        worker.stop()

    follower = Worker(team.bridge, team.settings)  # not the leader: its job does nothing
    follower.digests()
    assert len(slack.files) == 1


def test_the_worker_tries_digests_it_could_not_post_again_until_they_are_posted(
    team, slack, clock, database_url, monkeypatch, caplog
):
    monkeypatch.setattr(worker_module, "DIGEST_RETRY_SECONDS", 0.5)
    slack.add_channel("C_DIGEST", member=False)  # the bot was not invited to the digest channel
    clock.set("2026-11-25 09:00")
    worker = Worker(team.bridge, team.settings)
    try:
        with table_away(database_url, "event"):  # and the database cannot count the figures
            worker.start()
            wait_until(lambda: "digests not posted (tried again in under a minute): " in caplog.text)
            wait_until(lambda: caplog.text.count("digests not posted") >= 2)
        assert digests(slack) == []
        assert "no such table" in caplog.text or "does not exist" in caplog.text
        wait_until(lambda: "not a member of the channel" in caplog.text)  # the figures counted now; Slack refuses

        slack.add_channel("C_DIGEST", member=True)  # the bot invited
        wait_until(lambda: len(slack.files) == 1, timeout=30)
        assert len(digests(slack)) == 2
    finally:
        worker.stop()


def test_python_m_bot_digest_posts_now_then_refuses_to_repeat(slack, x, database_url, monkeypatch, capsys):
    for name, value in bot_env(slack, x, database_url, TIMEZONE="Europe/Madrid").items():
        monkeypatch.setenv(name, value)

    assert cli.main(["digest", "--date", "2026-11-22"]) == 0  # a Sunday: the week's too
    assert "posted the daily digests for 2026-11-22 (sla, resolution, chart) to C_DIGEST" in capsys.readouterr().out
    assert len(digests(slack)) == 4 and len(slack.files) == 2

    assert cli.main(["digest", "--date", "2026-11-22"]) == 0
    assert "had been posted already" in capsys.readouterr().out
    assert len(digests(slack)) == 4

    assert cli.main(["digest", "--date", "2026-11-21", "--force"]) == 0
    assert len(digests(slack)) == 6
    assert cli.main(["digest", "--date", "2026-11-21", "--force"]) == 0
    assert len(digests(slack)) == 8

    with pytest.raises(SystemExit):
        cli.main(["digest", "--date", "22/11/2026"])
    assert "is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_digest_periods(team, clock):
    digests_ = team.bridge.digests
    assert digests_.daily(date(2026, 11, 22)).key == "2026-11-22"
    assert digests_.weekly(date(2026, 11, 22)).key == "2026-11-16..2026-11-22"
    assert digests_.channel == "C_DIGEST"
