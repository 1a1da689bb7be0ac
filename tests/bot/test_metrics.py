"""Metrics on hand-built cases with known answers: SLA outcomes, percentiles, reopened cases, local days across
midnight and DST, business hours over a weekend, agents, campaigns, context, empty periods."""

import itertools
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chart import trend_png
from bot.chats.slack import digest_blocks
from bot.domain.bridge import Bridge, BridgeConfig
from bot.domain.business_hours import parse_business_hours
from bot.domain.metrics import MEDIAN, P90, AgentRow, interpolate, topics
from bot.domain.wording import duration, plural
from storage import cases
from storage.engine import make_engine

MIN = 60.0


class StubChat:
    def thread_link(self, channel, thread_ts):
        return f"https://team.example/archives/{channel}/p{thread_ts.replace('.', '')}"

    def find_user(self, name, candidates):
        return {"ana": "UANA"}.get(name) if "UANA" in candidates else None


class StubNetwork:
    name = "x"

    def profile_url(self, handle):
        return f"https://x.com/{handle}"


class World:
    """Cases built with the storage functions the domain uses, at chosen moments (local time of `tz`)."""

    def __init__(self, engine, tz="UTC", **config):
        self.tz = ZoneInfo(tz)
        self.now = datetime(2030, 1, 1, tzinfo=UTC)
        cfg = BridgeConfig(inbox_channel="C_INBOX", timezone=tz, **config)
        self.bridge = Bridge(engine, StubChat(), {"x": StubNetwork()}, cfg, clock=lambda: self.now)
        self.ids = itertools.count(1000)

    def at(self, text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=self.tz).astimezone(UTC)

    def clock(self, text: str) -> None:
        self.now = self.at(text)

    def case(
        self,
        opened,
        *,
        customer="maria_g",
        campaign="AcmeSupport",
        text="hi",
        followers=None,
        location=None,
        kind="mention",
    ):
        with self.bridge.session() as s:
            n = next(self.ids)
            case = cases.add_case(
                s,
                kind=kind,
                account_id="1",
                conversation_id=str(n),
                customer_id=f"c-{customer}",
                customer_handle=customer,
                campaign=campaign,
                opened_at=self.at(opened),
                channel="C_INBOX",
                thread_id=f"{n}.000100",
            )
            self._post(s, case.id, opened, customer, text, followers, location)
            return case.id

    def post(self, case_id, at, *, customer="maria_g", text="hi again", reopen_at=None):
        """A customer post; a resolved case goes back to its owner, named in the reopen event (as ingest does)."""
        with self.bridge.session() as s:
            self._post(s, case_id, at, customer, text, None, None)
            owner = cases.get_case(s, case_id=case_id).owner
            if cases.reopen_on_customer_posts(s, case_ids=[case_id]):
                cases.add_event(
                    s,
                    case_id=case_id,
                    kind="reopen",
                    actor=f"customer:c-{customer}",
                    at=self.at(reopen_at or at),
                    detail=owner,
                )

    def _post(self, s, case_id, at, customer, text, followers, location):
        cases.add_message(
            s,
            case_id=case_id,
            direction="in",
            post_id=str(next(self.ids)),
            author_id=f"c-{customer}",
            author_handle=customer,
            author_name=customer.title(),
            author_followers=followers,
            author_location=location,
            text=text,
            posted_at=self.at(at),
            stored_at=self.at(at),
        )

    def reply(self, case_id, at, agent="UANA", *, state="sent"):
        with self.bridge.session() as s:
            cases.add_message(
                s,
                case_id=case_id,
                direction="out",
                post_id=str(next(self.ids)),
                author_id="1",
                text="we are on it",
                posted_at=self.at(at),
                stored_at=self.at(at),
                agent=agent,
                state=state,
            )
            if state == "sent":
                cases.add_event(s, case_id=case_id, kind="reply", actor=agent, at=self.at(at))

    def act(self, case_id, kind, at, agent="UANA"):
        moves = {
            "claim": ("open", "claimed", {"new_owner": agent}),
            "unclaim": ("claimed", "open", {"owner_is": agent}),
            "resolve": (None, "resolved", {}),
            "reopen": ("resolved", "open", {}),
            "reassign": ("claimed", "claimed", {"new_owner": agent}),
        }
        from_status, to_status, extra = moves[kind]
        with self.bridge.session() as s:
            if from_status is None:
                from_status = cases.get_case(s, case_id=case_id).status
            won = cases.transition(
                s,
                case_id=case_id,
                from_status=from_status,
                to_status=to_status,
                resolved_at=self.at(at) if to_status == "resolved" else None,
                **extra,
            )
            assert won, f"{kind} of case {case_id} from {from_status}"
            cases.add_event(s, case_id=case_id, kind=kind, actor=agent, at=self.at(at))

    def report(self, first, last=None, **kw):
        metrics = self.bridge.metrics
        return metrics.report(metrics.days(date.fromisoformat(first), date.fromisoformat(last or first)), **kw)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine):
    return World(engine)


def rendered(report) -> str:
    """Everything the digests and the command would show, as one string."""
    parts = [digest_blocks.stats_answer(report)]
    for part in ("sla", "resolution"):
        parts.append(digest_blocks.digest(type("D", (), {"part": part, "cadence": "daily", "report": report})()))
    return json.dumps(parts, ensure_ascii=False)


def assert_clean(report) -> None:
    text = rendered(report)
    for bad in ("nan", "NaN", "None", "inf", "Traceback"):
        assert not re.search(rf"\b{bad}\b", text), bad


# -- SLA ------------------------------------------------------------------------------------------------


def seed_sla_day(w: World) -> dict:
    ids = {}
    ids["a"] = w.case("2026-11-02 10:00", customer="a")
    w.reply(ids["a"], "2026-11-02 10:20")  # within, 20 min
    ids["b"] = w.case("2026-11-02 11:00", customer="b")
    w.reply(ids["b"], "2026-11-02 12:30", agent="UBEN")  # late, 90 min
    w.reply(ids["b"], "2026-11-02 12:40", agent="UBEN")  # a second reply changes nothing
    ids["c"] = w.case("2026-11-02 12:00", customer="c")  # never answered
    ids["d"] = w.case("2026-11-02 13:00", customer="d")
    w.act(ids["d"], "resolve", "2026-11-02 13:10")  # closed without a reply, before the target
    ids["e"] = w.case("2026-11-02 14:00", customer="e")
    w.reply(ids["e"], "2026-11-02 15:00")  # exactly the target: within
    ids["f"] = w.case("2026-11-02 16:00", customer="f")
    w.reply(ids["f"], "2026-11-02 16:05", state="failed")  # a failed reply is no response
    w.case("2026-11-03 08:30", customer="g")  # the next day
    return ids


def test_first_response_outcomes_and_percentiles(world):
    ids = seed_sla_day(world)
    world.clock("2026-11-02 16:30")

    fr = world.report("2026-11-02").first_response

    assert (fr.opened, fr.within, fr.late, fr.unanswered, fr.closed, fr.pending) == (6, 2, 1, 1, 1, 1)
    assert fr.waiting == 2  # c and f: no reply, not resolved
    assert fr.attainment == pytest.approx(2 / 4)
    # answered in 20, 60 and 90 min: the median is 60, the 90th percentile 60 + 0.8 * 30
    assert fr.median == pytest.approx(60 * MIN)
    assert fr.p90 == pytest.approx(84 * MIN)
    breaches = world.report("2026-11-02").breaches
    assert [(b.case_id, b.answered) for b in breaches] == [(ids["b"], True), (ids["c"], False)]
    assert breaches[0].waited == pytest.approx(90 * MIN)
    assert breaches[1].waited == pytest.approx(4.5 * 60 * MIN)
    assert re.fullmatch(r"https://team\.example/archives/C_INBOX/p\d+000100", breaches[1].link)


def test_an_unanswered_case_breaches_once_the_target_has_passed(world):
    case = world.case("2026-11-02 10:00")
    world.clock("2026-11-02 10:59")
    fr = world.report("2026-11-02").first_response
    assert (fr.pending, fr.unanswered, fr.attainment) == (1, 0, None)

    world.clock("2026-11-02 11:01")
    fr = world.report("2026-11-02").first_response
    assert (fr.pending, fr.unanswered, fr.attainment) == (0, 1, 0.0)

    world.act(case, "resolve", "2026-11-02 11:30")  # resolved late without a reply: still a breach
    world.clock("2026-11-09 12:00")
    fr = world.report("2026-11-02").first_response
    assert (fr.unanswered, fr.waiting, fr.closed) == (1, 0, 0)
    assert world.report("2026-11-02").breaches[0].waited == pytest.approx(90 * MIN)


@pytest.mark.parametrize("business_hours", [None, "Mon-Sun 00:00-24:00"])
def test_a_read_only_term_case_has_no_sla(engine, business_hours):
    world = World(engine, business_hours=business_hours)
    world.case("2026-11-02 10:00", kind="term")
    world.case("2026-11-02 10:00", customer="pedro")
    world.clock("2026-11-02 12:00")
    fr = world.report("2026-11-02").first_response
    assert (fr.opened, fr.unanswered, fr.closed, fr.attainment) == (2, 1, 1, 0.0)


@pytest.mark.parametrize(
    "seconds, said",
    [
        (None, "—"),
        (0, "under a minute"),
        (59.4, "under a minute"),
        (59.5, "1 min"),
        (60 * MIN - 31, "59 min"),
        (60 * MIN - 29, "1 h"),
        (65 * MIN, "1 h 5 min"),
        (24 * 60 * MIN, "1 day"),
        (27 * 60 * MIN, "1 day 3 h"),
        (3 * 24 * 60 * MIN, "3 days"),
    ],
)
def test_durations_read_in_words(seconds, said):
    assert duration(seconds) == said


def test_plural_forms():
    assert [plural(n, "case") for n in (0, 1, 2, 1200)] == ["0 cases", "1 case", "2 cases", "1,200 cases"]
    assert plural(1, "public reply", "public replies") == "1 public reply"
    assert plural(3, "public reply", "public replies") == "3 public replies"


def test_the_sla_rendering_shows_the_figures(world):
    seed_sla_day(world)
    world.clock("2026-11-02 16:30")
    text = rendered(world.report("2026-11-02"))

    assert "*Cases opened*\\n6" in text
    assert "50% (2 of 4)" in text
    assert "*Median first response*\\n1 h" in text and "*90th percentile*\\n1 h 24 min" in text
    assert "*Breached: 2*" in text and "answered after 1 h 30 min" in text and "no reply after 4 h 30 min" in text
    assert "<https://team.example/archives/C_INBOX/p" in text
    assert "*Still without a reply now:* 2 of the 6 cases opened." in text


# -- resolution, reopened cases -------------------------------------------------------------------------


def test_a_reopened_case_keeps_its_first_response_and_times_its_new_resolution(world):
    case = world.case("2026-11-02 10:00")
    world.act(case, "claim", "2026-11-02 10:05", "UANA")
    world.reply(case, "2026-11-02 10:20", "UANA")
    world.act(case, "resolve", "2026-11-02 11:00", "UANA")
    world.post(case, "2026-11-03 09:00", reopen_at="2026-11-03 09:01")  # back to UANA
    world.act(case, "reassign", "2026-11-03 09:10", "UBEN")  # Ben takes it over
    world.reply(case, "2026-11-03 09:30", "UBEN")
    world.act(case, "resolve", "2026-11-03 09:40", "UBEN")
    world.clock("2026-11-04 09:00")

    first = world.report("2026-11-02")
    assert (first.first_response.opened, first.first_response.median) == (1, 20 * MIN)
    r = first.resolution
    assert (r.opened, r.resolved, r.reopened, r.rate, r.median, r.backlog) == (1, 1, 0, 1.0, 60 * MIN, 0)
    assert r.messages_per_case == pytest.approx(4.0)  # 2 posts and 2 replies, whenever they came
    assert first.agents == [AgentRow("UANA", 1, 1, 1, 55 * MIN)]

    second = world.report("2026-11-03")
    assert second.first_response.opened == 0  # the reopening is no new case
    r = second.resolution
    assert (r.opened, r.resolved, r.reopened, r.rate, r.backlog) == (0, 1, 1, None, 0)
    assert r.median == pytest.approx(39 * MIN)  # from the reopening at 09:01
    assert second.agents == [AgentRow("UBEN", 0, 1, 1, 30 * MIN)]  # handled from the takeover
    assert_clean(second)

    both = world.report("2026-11-02", "2026-11-03").resolution
    assert (both.resolved, both.reopened) == (1, 1)  # one case
    assert both.median == pytest.approx((60 + 39) / 2 * MIN)  # two resolutions, each from its (re)opening


def test_a_case_the_customer_gave_back_to_its_owner_is_handled_from_the_reopening(world):
    case = world.case("2026-11-02 10:00")
    world.act(case, "claim", "2026-11-02 10:05", "UANA")
    world.reply(case, "2026-11-02 10:20", "UANA")
    world.act(case, "resolve", "2026-11-02 11:00", "UANA")
    world.post(case, "2026-11-03 09:00")  # reopened: still UANA's, no new claim
    world.reply(case, "2026-11-03 09:15", "UANA")
    world.act(case, "resolve", "2026-11-03 09:40", "UANA")
    world.clock("2026-11-04 09:00")

    second = world.report("2026-11-03")

    assert second.first_response.opened == 0
    assert (second.resolution.reopened, second.resolution.resolved, second.resolution.backlog) == (1, 1, 0)
    assert second.agents == [AgentRow("UANA", 0, 1, 1, 40 * MIN)]  # from the reopening at 09:00
    both = world.report("2026-11-02", "2026-11-03")
    assert both.agents == [AgentRow("UANA", 1, 2, 2, (55 + 40) / 2 * MIN)]
    assert both.first_response.median == 20 * MIN  # its first response is the first one


def test_backlog_at_the_end_of_each_day(world):
    a = world.case("2026-11-02 10:00", customer="a")
    b = world.case("2026-11-02 11:00", customer="b")
    world.act(a, "resolve", "2026-11-02 12:00")
    world.post(a, "2026-11-03 08:00")  # reopened the next morning
    world.act(b, "claim", "2026-11-03 09:00")
    world.act(b, "resolve", "2026-11-03 09:30")
    world.case("2026-11-04 10:00", customer="c")
    world.clock("2026-11-05 09:00")

    backlogs = [world.report(d).resolution.backlog for d in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04")]

    assert backlogs == [0, 1, 1, 2]
    assert world.report("2026-11-02").resolution.rate == pytest.approx(0.5)


def test_a_case_resolved_without_a_claim_has_no_handle_time(world):
    case = world.case("2026-11-02 10:00")
    world.act(case, "claim", "2026-11-02 10:05", "UANA")
    world.act(case, "unclaim", "2026-11-02 10:06", "UANA")
    world.act(case, "resolve", "2026-11-02 10:30", "UBEN")
    world.clock("2026-11-03 09:00")

    agents = world.report("2026-11-02").agents

    assert agents == [AgentRow("UANA", 1, 0, 0, None), AgentRow("UBEN", 0, 0, 1, None)]


# -- days in the team's time zone -----------------------------------------------------------------------


def test_a_case_just_before_local_midnight_belongs_to_that_local_day(engine):
    w = World(engine, tz="America/New_York")
    late = w.case("2026-11-10 23:30")  # 04:30 UTC on the 11th
    w.reply(late, "2026-11-11 00:20")  # 50 minutes later, after midnight
    w.case("2026-11-11 00:10", customer="b")
    w.clock("2026-11-12 09:00")

    tenth, eleventh = w.report("2026-11-10"), w.report("2026-11-11")

    assert (tenth.first_response.opened, tenth.first_response.within, tenth.first_response.median) == (1, 1, 50 * MIN)
    assert tenth.agents == []
    assert eleventh.first_response.opened == 1
    assert eleventh.agents == [AgentRow("UANA", 0, 1, 0, None)]
    assert (tenth.period.start, tenth.period.end) == (  # EST is UTC-5
        datetime(2026, 11, 10, 5, 0, tzinfo=UTC),
        datetime(2026, 11, 11, 5, 0, tzinfo=UTC),
    )


def test_a_dst_day_has_23_hours_and_durations_count_real_time(engine):
    w = World(engine, tz="Europe/Madrid")  # clocks go from 02:00 to 03:00 on Sunday 29 March 2026
    early = w.case("2026-03-29 01:30")
    w.reply(early, "2026-03-29 03:30")  # two hours on the wall clock, one in fact
    w.case("2026-03-29 23:30", customer="b")
    w.case("2026-03-30 00:15", customer="c")
    w.clock("2026-03-30 09:00")

    report = w.report("2026-03-29")

    assert (report.period.end - report.period.start).total_seconds() == 23 * 3600
    fr = report.first_response
    assert (fr.opened, fr.within, fr.median) == (2, 1, 60 * MIN)
    assert w.report("2026-03-30").first_response.opened == 1
    autumn = w.bridge.metrics.days(date(2026, 10, 25), date(2026, 10, 25))
    assert (autumn.end - autumn.start).total_seconds() == 25 * 3600


# -- business hours -------------------------------------------------------------------------------------


def test_business_hours_stop_the_sla_clock_over_the_weekend(engine):
    w = World(engine, tz="Europe/Madrid", business_hours="Mon-Fri 09:00-18:00")
    friday = w.case("2026-11-20 17:30", customer="a")
    w.reply(friday, "2026-11-23 09:20")  # 30 min on Friday + 20 on Monday: within, though 64 h passed
    saturday = w.case("2026-11-21 11:00", customer="b")
    w.case("2026-11-22 12:00", customer="c")  # Sunday, unanswered

    w.clock("2026-11-23 09:30")  # the weekend cases have waited 30 business minutes
    fr = w.report("2026-11-20", "2026-11-22").first_response
    assert (fr.opened, fr.within, fr.late, fr.unanswered, fr.pending) == (3, 1, 0, 0, 2)

    w.reply(saturday, "2026-11-23 10:30")  # 90 business minutes: late
    w.clock("2026-11-23 10:45")
    report = w.report("2026-11-20", "2026-11-22")
    fr = report.first_response
    assert (fr.within, fr.late, fr.unanswered, fr.pending) == (1, 1, 1, 0)
    assert fr.median == pytest.approx(70 * MIN)  # 50 and 90 business minutes
    assert [(b.customer_handle, b.waited) for b in report.breaches] == [("b", 90 * MIN), ("c", 105 * MIN)]
    assert report.breaches[0].link.startswith("https://team.example/archives/C_INBOX/p")
    assert "business time" in rendered(report)


def test_business_hours_across_a_dst_change():
    hours = parse_business_hours("Sun 01:00-04:00")
    tz = ZoneInfo("Europe/Madrid")
    start, end = datetime(2026, 3, 29, 0, 30, tzinfo=tz), datetime(2026, 3, 29, 4, 30, tzinfo=tz)
    assert hours.seconds_between(tz, start, end) == 2 * 3600  # 01:00-04:00 that morning lasted two hours
    autumn = hours.seconds_between(tz, datetime(2026, 10, 25, 0, 0, tzinfo=tz), datetime(2026, 10, 25, 5, 0, tzinfo=tz))
    assert autumn == 4 * 3600


def test_business_hours_specs():
    tz = ZoneInfo("UTC")
    hours = parse_business_hours("Mon-Fri 09:00-13:00 14:00-18:00, Sat 10:00-14:00")
    week = hours.seconds_between(tz, datetime(2026, 11, 23, tzinfo=tz), datetime(2026, 11, 30, tzinfo=tz))
    assert week == (5 * 8 + 4) * 3600
    overnight = parse_business_hours("Fri-Sat 22:00-06:00")  # Friday night into Saturday, Saturday into Sunday
    assert (
        overnight.seconds_between(tz, datetime(2026, 11, 27, tzinfo=tz), datetime(2026, 11, 30, tzinfo=tz)) == 16 * 3600
    )
    assert (
        parse_business_hours("monday-sunday 00:00-24:00").seconds_between(
            tz, datetime(2026, 11, 23, 12, tzinfo=tz), datetime(2026, 11, 23, 11, tzinfo=tz)
        )
        == 0
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        ("Mon-Fri", "should be days then time ranges"),
        ("Mun 09:00-18:00", "not a day of the week"),
        ("Mon-Fri 9-18", "not a time range HH:MM-HH:MM"),
        ("Mon 09:00-25:00", "not a time of day"),
        ("Mon 09:00-09:00", "is empty"),
        ("Mon-Fri 09:00-18:00,", "empty part"),
        ("   ", "no business hours"),
    ],
)
def test_bad_business_hours_are_refused_with_a_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_business_hours(spec)


# -- agents, campaigns, context -------------------------------------------------------------------------


def test_an_agent_with_no_activity_gets_zeros(world):
    seed_sla_day(world)
    world.clock("2026-11-03 09:00")

    report = world.report("2026-11-02", agent="UZED")

    assert report.agents == [AgentRow("UZED", 0, 0, 0, None)]
    assert (report.first_response.opened, report.first_response.median, report.resolution.resolved) == (0, None, 0)
    assert report.campaigns == [] and report.context is None
    assert_clean(report)


def test_an_agents_figures_cover_the_cases_they_answered_first(world):
    ids = seed_sla_day(world)
    world.act(ids["c"], "claim", "2026-11-02 12:05", "UBEN")  # claimed, still unanswered
    world.clock("2026-11-03 09:00")

    ben = world.report("2026-11-02", agent="UBEN")

    fr = ben.first_response
    assert (fr.opened, fr.within, fr.late, fr.unanswered, fr.median) == (2, 0, 1, 1, 90 * MIN)
    assert ben.agents == [AgentRow("UBEN", 1, 2, 0, None)]
    assert world.bridge.metrics.find_agent("ana") == "UANA"
    assert world.bridge.metrics.find_agent("nobody") is None


def test_campaigns_and_context(world):
    a = world.case(
        "2026-11-02 10:00",
        customer="a",
        campaign="AcmeSupport",
        followers=10,
        location="Madrid",
        text="@AcmeSupport my #refund is late https://t.co/x",
    )
    b = world.case(
        "2026-11-02 10:30",
        customer="b",
        campaign="AcmeES",
        followers=5000,
        location=" madrid ",
        text="Refund please #Refund #delivery",
    )
    world.case(
        "2026-11-02 11:00",
        customer="c",
        campaign="AcmeES",
        followers=700,
        location="Lima",
        text="where is my delivery? refund",
    )
    world.act(a, "claim", "2026-11-02 10:05", "UANA")
    world.reply(a, "2026-11-02 10:10", "UANA")
    world.act(a, "resolve", "2026-11-02 10:45", "UANA")
    world.act(b, "claim", "2026-11-02 10:40", "UBEN")
    world.reply(b, "2026-11-02 12:00", "UBEN")
    world.clock("2026-11-03 09:00")

    report = world.report("2026-11-02")

    by_name = {c.campaign: c for c in report.campaigns}
    assert [c.campaign for c in report.campaigns] == ["AcmeES", "AcmeSupport"]
    es, support = by_name["AcmeES"], by_name["AcmeSupport"]
    assert (es.opened, es.within, es.breached, es.messages, es.resolved) == (2, 0, 2, 3, 0)
    assert (support.opened, support.within, support.messages, support.resolved) == (1, 1, 2, 1)
    assert support.median_handle == 40 * MIN and support.attainment == 1.0
    c = report.context
    assert c.locations == [("Madrid", 2), ("Lima", 1)]
    assert [(r.handle, r.followers) for r in c.reach] == [("b", 5000), ("c", 700), ("a", 10)]
    assert c.reach[0].url == "https://x.com/b"
    assert c.hashtags[0] == ("#refund", 2) and ("#delivery", 1) in c.hashtags
    assert c.terms[0] == ("refund", 2) and ("delivery", 1) in c.terms  # hashtags are not counted as terms
    assert "acmesupport" not in dict(c.terms)  # the mention is not a topic
    assert "Madrid (2)" in rendered(report)


def test_one_campaigns_figures(world):
    a = world.case("2026-11-02 10:00", customer="a", campaign="AcmeSupport", location="Madrid")
    b = world.case("2026-11-02 10:30", customer="b", campaign="AcmeES", location="Lima", text="#envío tarde")
    world.act(a, "claim", "2026-11-02 10:05", "UANA")
    world.reply(a, "2026-11-02 10:10", "UANA")
    world.act(a, "resolve", "2026-11-02 10:45", "UANA")
    world.act(b, "claim", "2026-11-02 10:40", "UBEN")
    world.reply(b, "2026-11-02 12:00", "UBEN")
    world.clock("2026-11-03 09:00")

    es = world.report("2026-11-02", campaign="AcmeES")

    fr, r = es.first_response, es.resolution
    assert (es.campaign, fr.opened, fr.late, fr.median, r.resolved, r.backlog) == ("AcmeES", 1, 1, 90 * MIN, 0, 1)
    assert es.agents == [AgentRow("UBEN", 1, 1, 0, None)]
    assert [c.campaign for c in es.campaigns] == ["AcmeES"]
    assert es.context.locations == [("Lima", 1)] and es.context.hashtags == [("#envío", 1)]
    assert "in AcmeES" in rendered(es)
    nobody = world.report("2026-11-02", campaign="Nope")
    assert (nobody.first_response.opened, nobody.resolution.backlog, nobody.agents) == (0, 0, [])


def test_topics_count_each_post_once_and_skip_links_mentions_and_stopwords():
    hashtags, terms = topics(["#Refund #refund refund REFUND the https://x.co/refund", "@refund where's my order"])
    assert hashtags == [("#refund", 1)]
    assert terms == [("order", 1), ("refund", 1), ("where's", 1)]


# -- empty periods and the trend ------------------------------------------------------------------------


def test_an_empty_period_says_so_without_nan_or_division_by_zero(world):
    world.clock("2026-11-03 09:00")

    report = world.report("2026-11-02")

    assert report.quiet
    fr, r = report.first_response, report.resolution
    assert (fr.opened, fr.attainment, fr.median, fr.p90) == (0, None, None, None)
    assert (r.rate, r.median, r.messages_per_case, r.backlog) == (None, None, None, 0)
    assert report.agents == report.campaigns == report.breaches == []
    text = rendered(report)
    assert "No cases were opened on Mon 02 Nov 2026." in text
    assert "Nothing happened on Mon 02 Nov 2026" in text
    assert_clean(report)
    trend = world.bridge.metrics.trend(date(2026, 11, 2))
    assert [p.opened for p in trend.points] == [0] * 14 and all(p.median is None for p in trend.points)
    assert trend_png(trend).startswith(b"\x89PNG")


def test_the_trend_has_one_point_per_local_day(world):
    seed_sla_day(world)
    world.case("2026-10-20 10:00", customer="old")  # 13 days before: the first point
    world.case("2026-10-19 23:59", customer="older")  # outside the 14 days
    world.clock("2026-11-03 09:00")

    trend = world.bridge.metrics.trend(date(2026, 11, 2))

    assert (trend.points[0].first, trend.points[-1].first) == (date(2026, 10, 20), date(2026, 11, 2))
    assert [p.opened for p in trend.points] == [1] + [0] * 12 + [6]
    last = trend.points[-1]
    assert (last.median, last.attainment) == (60 * MIN, 2 / 5)  # f's failed reply is no reply: 2 unanswered
    weekly = world.bridge.metrics.trend(date(2026, 11, 8), unit="week", count=3)
    assert [(p.first, p.last, p.opened) for p in weekly.points] == [
        (date(2026, 10, 19), date(2026, 10, 25), 2),
        (date(2026, 10, 26), date(2026, 11, 1), 0),
        (date(2026, 11, 2), date(2026, 11, 8), 7),
    ]


def test_interpolated_percentiles():
    values = {i + 1: float(v) for i, v in enumerate([10, 20, 30, 40])}
    assert interpolate(4, values, MEDIAN) == 25
    assert interpolate(4, values, P90) == pytest.approx(37)
    assert interpolate(1, {1: 5.0}, P90) == 5
    assert interpolate(0, {}, MEDIAN) is None


# -- periods --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, first, last",
    [
        ("", "2026-11-23", "2026-11-23"),
        ("today", "2026-11-23", "2026-11-23"),
        ("yesterday", "2026-11-22", "2026-11-22"),
        ("7d", "2026-11-17", "2026-11-23"),
        ("30D", "2026-10-25", "2026-11-23"),
        ("2026-11-01", "2026-11-01", "2026-11-01"),
        ("2026-11-01..2026-11-15", "2026-11-01", "2026-11-15"),
    ],
)
def test_periods(world, spec, first, last):
    world.clock("2026-11-23 09:00")
    period = world.bridge.metrics.period(spec)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)


@pytest.mark.parametrize(
    "spec", ["0d", "400d", "2026-11-15..2026-11-01", "2026-02-30", "2025-01-01..2026-11-01", "week", "11/01", "..", "7"]
)
def test_bad_periods(world, spec):
    with pytest.raises(ValueError):
        world.bridge.metrics.period(spec)


def test_a_period_key_names_the_digest_run(world):
    metrics = world.bridge.metrics
    assert metrics.days(date(2026, 11, 2), date(2026, 11, 2)).key == "2026-11-02"
    assert replace(metrics.days(date(2026, 11, 2), date(2026, 11, 8)), name="x").key == "2026-11-02..2026-11-08"
