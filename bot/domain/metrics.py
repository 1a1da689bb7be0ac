"""Managers' figures for a period: SLA, resolution, agents, campaigns and context. One function, `report`, serves
the digests and /social-stats alike; `trend` gives the chart's points.

Definitions (see DESIGN.md, "Metrics"), all from messages and events:
- The SLA cohort is the cases *opened* in the period (first customer post). First response time runs from that
  post to the case's first public reply, whenever it came. With BUSINESS_HOURS only business time counts.
- A case answered within the target is *within*, after it *late*. A case with no reply is *unanswered* (breached)
  once more than the target passed before it was resolved, or until now; resolved sooner without a reply it is
  *closed* (spam, a thank-you); otherwise *pending*. Attainment = within / (within + late + unanswered): closed
  and pending cases are left out. A reopened case keeps its first response.
- Resolved: cases resolved in the period; resolution rate = resolved / opened in the period (above 100% when the
  backlog shrank). Resolution time: for each resolution in the period, from the case's latest (re)opening.
  Backlog: cases opened and not resolved at the end of the period (or now, for a period not over yet).
- Handle time: claim to resolve, for the resolver. Messages per case: customer posts and public replies of the
  cases opened in the period. Per campaign: its cases opened in the period (their SLA and messages), and
  the claims, replies, resolutions and handle times in the period. Per network (side by side, and together): its
  cases opened in the period (their SLA) and its cases resolved in the period.
Medians and the 90th percentile interpolate linearly between ranks (as PostgreSQL's percentile_cont does).
"""

import re
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.business_hours import BusinessHours, parse_business_hours
from bot.domain.clock import to_utc
from bot.domain.errors import NotCounted
from bot.domain.ports import Chat, Network
from bot.domain.sources import network_of_message
from bot.domain.states import CaseStatus
from storage import metrics as q
from storage.health import plain_reason

MEDIAN, P90 = (1, 2), (9, 10)
BREACHES_SHOWN = 10
TOPICS_SAMPLE = 2000  # topics come from the latest posts of the period, at most this many
MAX_PERIOD_DAYS = 366
ACTOR_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive
    start: datetime  # aware UTC
    end: datetime  # aware UTC, exclusive
    timezone: str
    name: str = ""  # "today", "last 7 days"... for the command's answer

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def key(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"


@dataclass(frozen=True)
class FirstResponse:
    opened: int = 0
    within: int = 0
    late: int = 0
    unanswered: int = 0
    closed: int = 0
    pending: int = 0
    waiting: int = 0  # no reply and not resolved, now
    median: float | None = None  # seconds, over answered cases
    p90: float | None = None

    @property
    def answered(self) -> int:
        return self.within + self.late

    @property
    def breached(self) -> int:
        return self.late + self.unanswered

    @property
    def decided(self) -> int:
        return self.within + self.breached

    @property
    def attainment(self) -> float | None:
        return self.within / self.decided if self.decided else None


@dataclass(frozen=True)
class Breach:
    case_id: int
    customer_handle: str
    campaign: str
    opened_at: datetime
    answered: bool
    waited: float  # seconds to the first reply, or without one (to resolution or now)
    link: str | None = None


@dataclass(frozen=True)
class Resolution:
    opened: int = 0
    resolved: int = 0
    reopened: int = 0
    backlog: int | None = None
    median: float | None = None  # resolution time, seconds
    messages: int | None = None  # of the cases opened in the period

    @property
    def rate(self) -> float | None:
        return self.resolved / self.opened if self.opened else None

    @property
    def messages_per_case(self) -> float | None:
        return self.messages / self.opened if self.opened and self.messages is not None else None


@dataclass(frozen=True)
class AgentRow:
    agent: str
    claims: int = 0
    replies: int = 0
    resolved: int = 0
    median_handle: float | None = None


@dataclass(frozen=True)
class CampaignRow:
    campaign: str
    opened: int = 0
    within: int = 0
    breached: int = 0
    messages: int = 0  # customer posts and public replies of the cases opened
    resolved: int = 0
    median_handle: float | None = None

    @property
    def attainment(self) -> float | None:
        return self.within / (self.within + self.breached) if self.within + self.breached else None


@dataclass(frozen=True)
class NetworkRow:
    network: str  # the network's name in cases, "" for all of them together
    name: str  # how people call it (the Network port's display_name)
    opened: int = 0
    within: int = 0
    breached: int = 0
    resolved: int = 0

    @property
    def attainment(self) -> float | None:
        return self.within / (self.within + self.breached) if self.within + self.breached else None


@dataclass(frozen=True)
class Reach:
    handle: str
    name: str
    followers: int
    posts: int
    url: str


@dataclass(frozen=True)
class Context:
    locations: list[tuple[str, int]] = field(default_factory=list)
    reach: list[Reach] = field(default_factory=list)
    hashtags: list[tuple[str, int]] = field(default_factory=list)
    terms: list[tuple[str, int]] = field(default_factory=list)
    sampled: int = 0


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    sla_minutes: float
    business_hours: str | None
    first_response: FirstResponse
    breaches: list[Breach]
    resolution: Resolution
    agents: list[AgentRow]
    campaigns: list[CampaignRow]
    context: Context | None
    agent: str | None = None
    campaign: str | None = None
    networks: list[NetworkRow] = field(default_factory=list)  # side by side, then together; [] with one network

    @property
    def quiet(self) -> bool:
        """Nothing happened in the period."""
        r = self.resolution
        return not (self.first_response.opened or r.resolved or r.reopened or self.agents)


@dataclass(frozen=True)
class TrendPoint:
    first: date
    last: date
    opened: int
    median: float | None
    attainment: float | None


@dataclass(frozen=True)
class Trend:
    points: list[TrendPoint]
    unit: str  # "day" or "week"
    sla_minutes: float
    timezone: str


def interpolate(count: int, ranked: dict[int, float], fraction: tuple[int, int]) -> float | None:
    """The value at `fraction` of `count` ordered values, from those at the ranks around it (1-based)."""
    if not count:
        return None
    num, den = fraction
    position = (count - 1) * num
    low = position // den + 1
    high = (position + den - 1) // den + 1
    weight = (position % den) / den
    return ranked[low] + (ranked[high] - ranked[low]) * weight


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local calendar day, in UTC (a DST day has 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


# -- topics ---------------------------------------------------------------------------------------------

URL = re.compile(r"https?://\S+")
HANDLE = re.compile(r"\B@\w+")  # an @ that follows no letter or digit
HASHTAG = re.compile(r"(?:^|(?<=[^\w&]))#(\w*[^\W\d]\w*)")  # a # that follows no letter, digit or &
WORD = re.compile(r"[^\W\d_][\w'’]*[^\W_]|[^\W\d_]")
_STOPWORDS = """
    a about after again all also am an and any are as at be because been before being but by can could did do
    does doing done dont don't for from get got had has have having he her here hi hello him his how i i'm im if
    in into is it it's its just know like me more my no not now of off on one only or our out over please pls
    really same see she should so some still than thank thanks that that's the their them then there these they
    this those to too today until up us very via was we were what when where which while who why will with
    would yes yet you your you're already again hey ok okay since didn't can't cant won't wont isn't
    el la los las de del que y en un una por para con no es se lo al mi me su sus ya muy pero mas más como
    hola gracias porque cuando donde esta está este estoy hay ha he
    """
STOPWORDS = frozenset(_STOPWORDS.split())


def topics(texts: list[str], limit: int = 5) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The most frequent hashtags and terms, each counted once per post: candidates for saved replies."""
    tags: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    for text in texts:
        text = URL.sub(" ", text)
        text = HANDLE.sub(" ", text)
        tags.update({t.lower() for t in HASHTAG.findall(text)})
        words = {w.lower().strip("'’") for w in WORD.findall(HASHTAG.sub(" ", text))}
        terms.update(w for w in words if len(w) >= 3 and w not in STOPWORDS)

    def top(counter: Counter) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    return [("#" + t, n) for t, n in top(tags)], top(terms)


# -- the service ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsConfig:
    sla_minutes: float = 60.0  # the first-response target
    timezone: str = "UTC"  # where the days of a period begin and end
    business_hours: str | None = None  # a BUSINESS_HOURS spec: SLA clocks count business time only
    allowed_agents: frozenset[str] = field(default_factory=frozenset)  # agents to find by name besides who worked


class Metrics:
    def __init__(
        self,
        *,
        session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        networks: Mapping[str, Network],
        config: MetricsConfig,
    ):
        """`networks`: by network name, for the customers' profile links."""
        self.session, self.clock, self.chat, self.networks, self.config = session, clock, chat, networks, config
        self._hours_spec: str | None = None
        self._hours: BusinessHours | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def target_seconds(self) -> float:
        return self.config.sla_minutes * 60.0

    @property
    def business_hours(self) -> BusinessHours | None:
        spec = self.config.business_hours
        if spec != self._hours_spec:
            self._hours, self._hours_spec = (parse_business_hours(spec) if spec else None), spec
        return self._hours

    def now(self) -> datetime:
        return to_utc(self.clock())

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()

    # -- periods ---------------------------------------------------------------------------------------

    def days(self, first: date, last: date, name: str = "") -> Period:
        tz = self.tz
        return Period(
            first=first,
            last=last,
            start=local_midnight(first, tz),
            end=local_midnight(last + timedelta(days=1), tz),
            timezone=self.config.timezone,
            name=name,
        )

    def period(self, spec: str | None) -> Period:
        """`today` (also empty), `yesterday`, `7d` (the last 7 days, today included), `2026-11-01`,
        `2026-11-01..2026-11-15`; ValueError says what is wrong."""
        today = self.today()
        spec = (spec or "").strip().lower() or "today"
        if len(spec) > 40:
            raise ValueError(f"`{spec[:30]}…` is not a period I know")
        if spec == "today":
            return self.days(today, today, "today")
        if spec == "yesterday":
            return self.days(today - timedelta(days=1), today - timedelta(days=1), "yesterday")
        if match := re.fullmatch(r"(\d+)d", spec):
            n = int(match[1])
            if not 1 <= n <= MAX_PERIOD_DAYS:
                raise ValueError(f"`{spec}`: give between 1d and {MAX_PERIOD_DAYS}d")
            return self.days(today - timedelta(days=n - 1), today, f"last {n} days" if n > 1 else "today")
        first_text, dots, last_text = spec.partition("..")
        first = _date(first_text, spec)
        last = _date(last_text, spec) if dots else first
        if last < first:
            raise ValueError(f"`{spec}` ends before it starts")
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise ValueError(f"`{spec}` is longer than {MAX_PERIOD_DAYS} days")
        return self.days(first, last)

    # -- the report ------------------------------------------------------------------------------------

    def report(self, period: Period, *, agent: str | None = None, campaign: str | None = None) -> Report:
        """The figures of a period, for everyone, or one agent, or one campaign (or both)."""
        now = self.now()
        only = {"agent": agent, "campaign": campaign}
        span = {"start": period.start, "end": period.end}
        with self._counting() as s:
            q.prepare(s)
            first = self._first_responses(s, [period.start, period.end], now, with_breaches=True, **only)
            work = q.activity(s, **span, **only)
            stats = q.resolution_statistics(s, **span, fractions=[MEDIAN], **only)
            reopened = q.reopened_count(s, **span, **only)
            backlog = None if agent else q.backlog_at(s, at=min(period.end, now), campaign=campaign)
            context = None if agent else self._context(s, period, campaign)
        n, ranked = stats["resolution"].get(0, (0, {}))
        resolution = Resolution(
            opened=first.per_bucket[0].opened,
            resolved=sum(stats["resolved"].values()),
            reopened=reopened,
            backlog=backlog,
            median=interpolate(n, ranked, MEDIAN),
            messages=None if agent else first.messages[0],
        )
        return Report(
            period=period,
            generated_at=now,
            sla_minutes=self.config.sla_minutes,
            business_hours=self.business_hours.spec if self.business_hours else None,
            first_response=first.per_bucket[0],
            breaches=[self._breach(b) for b in first.breaches],
            resolution=resolution,
            agents=_agents(work, stats["handle_by_agent"], agent),
            campaigns=[] if agent else _campaigns(first.per_campaign, stats["resolved"], stats["handle_by_campaign"]),
            context=context,
            agent=agent,
            campaign=campaign,
            networks=[] if agent else self._networks(first.per_network, stats["resolved_by_network"]),
        )

    @contextmanager
    def _counting(self):
        """A read-only session whose failure (the database locked, away, broken) is NotCounted: the asker is told."""
        try:
            with self.session(read_only=True) as s:
                yield s
        except SQLAlchemyError as err:
            raise NotCounted(plain_reason(err)) from err

    def trend(self, last: date, *, unit: str = "day", count: int = 14) -> Trend:
        """Volume, median first response and SLA attainment per day (or week) for `count` of them up to `last`."""
        step = 7 if unit == "week" else 1
        firsts = [last - timedelta(days=step * (count - i) - 1) for i in range(count)]
        bounds = [local_midnight(d, self.tz) for d in firsts] + [local_midnight(last + timedelta(days=1), self.tz)]
        with self.session(read_only=True) as s:
            q.prepare(s)
            first = self._first_responses(s, bounds, self.now(), with_breaches=False)
        points = [
            TrendPoint(
                first=d, last=d + timedelta(days=step - 1), opened=f.opened, median=f.median, attainment=f.attainment
            )
            for d, f in zip(firsts, first.per_bucket, strict=True)
        ]
        return Trend(points=points, unit=unit, sla_minutes=self.config.sla_minutes, timezone=self.config.timezone)

    def find_agent(self, name: str) -> str | None:
        """The chat user called `name` among the agents (ALLOWED_AGENTS and who worked on cases lately)."""
        with self._counting() as s:
            actors = q.recent_actors(s, since=self.now() - ACTOR_LOOKBACK)
        candidates = sorted(set(actors) | set(self.config.allowed_agents))
        return self.chat.find_user(name, candidates) if candidates else None

    # -- parts -----------------------------------------------------------------------------------------

    def _first_responses(self, s, bounds, now, *, with_breaches, agent=None, campaign=None) -> "_Cohort":
        """The SLA figures of the cases opened in each bucket, per campaign, and the first breaches."""
        only = {"agent": agent, "campaign": campaign}
        if self.business_hours is not None:
            counts, durations, breaches = self._business_first_responses(s, bounds, now, with_breaches, only)
        else:
            counts, stats = q.first_response_figures(
                s, bounds=bounds, now=now, target_seconds=self.target_seconds, fractions=[MEDIAN, P90], **only
            )
            durations = {
                b: (interpolate(n, ranked, MEDIAN), interpolate(n, ranked, P90)) for b, (n, ranked) in stats.items()
            }
            breaches = []
            if with_breaches:
                breaches = q.breached_cases(
                    s,
                    start=bounds[0],
                    end=bounds[-1],
                    now=now,
                    target_seconds=self.target_seconds,
                    limit=BREACHES_SHOWN,
                    **only,
                )
        totals = [dict.fromkeys(COUNTS, 0) for _ in range(len(bounds) - 1)]
        campaigns: dict[str, dict] = {}
        networks: dict[str, dict] = {}
        for row in counts:
            for k in COUNTS:
                totals[row["bucket"]][k] += row[k]
            c = campaigns.setdefault(row["campaign"], dict.fromkeys(("opened", "within", "breached", "messages"), 0))
            for k in ("opened", "within", "messages"):
                c[k] += row[k]
            c["breached"] += row["late"] + row["unanswered"]
            n = networks.setdefault(row["network"], dict.fromkeys(("opened", "within", "breached"), 0))
            n["opened"] += row["opened"]
            n["within"] += row["within"]
            n["breached"] += row["late"] + row["unanswered"]
        per_bucket = []
        for b, total in enumerate(totals):
            median, p90 = durations.get(b, (None, None))
            per_bucket.append(
                FirstResponse(**{k: v for k, v in total.items() if k != "messages"}, median=median, p90=p90)
            )
        messages = [t["messages"] for t in totals]
        return _Cohort(per_bucket, campaigns, breaches, messages, networks)

    def _business_first_responses(self, s, bounds, now, with_breaches, only):
        """The same figures with SLA clocks counting business time only. The databases cannot count business
        time portably, so what the clocks need of the cohort (eight columns per case) is read and classified here."""
        rows = q.first_response_rows(s, bounds=bounds, **only)
        target = self.target_seconds
        earliest = min([to_utc(r[4]) for r in rows], default=now)
        calendar = self.business_hours.calendar(self.tz, min(earliest, now), max(now, bounds[-1]))
        counts: dict[tuple, dict] = {}
        answered: dict[int, list[float]] = {}
        breached: list[tuple] = []
        for case_id, bucket, campaign, network, opened_at, first_reply_at, status, resolved_at, messages, kind in rows:
            opened_at = to_utc(opened_at)
            row = counts.setdefault(
                (bucket, campaign, network),
                {"bucket": bucket, "campaign": campaign, "network": network, **dict.fromkeys(COUNTS, 0)},
            )
            row["opened"] += 1
            row["messages"] += messages
            if kind == q.READ_ONLY_KIND:
                row["closed"] += 1
                continue
            if first_reply_at is not None:
                waited = calendar.seconds_between(opened_at, to_utc(first_reply_at))
                answered.setdefault(bucket, []).append(waited)
                outcome = "within" if waited <= target else "late"
            else:
                stop = to_utc(resolved_at or now) if status == CaseStatus.RESOLVED else now
                waited = calendar.seconds_between(opened_at, stop)
                outcome = "unanswered" if waited > target else "closed" if status == CaseStatus.RESOLVED else "pending"
                row["waiting"] += status != CaseStatus.RESOLVED
            row[outcome] += 1
            if outcome in ("late", "unanswered"):
                breached.append((opened_at, case_id, first_reply_at is not None, waited))
        durations = {}
        for bucket, values in answered.items():
            values.sort()
            ranked = {i + 1: v for i, v in enumerate(values)}
            durations[bucket] = (interpolate(len(values), ranked, MEDIAN), interpolate(len(values), ranked, P90))
        breaches = []
        if with_breaches:
            first = sorted(breached)[:BREACHES_SHOWN]
            threads = q.case_threads(s, case_ids=[b[1] for b in first])
            breaches = [
                {
                    **threads[case_id],
                    "case_id": case_id,
                    "opened_at": opened_at,
                    "answered": answered_,
                    "waited": waited,
                }
                for opened_at, case_id, answered_, waited in first
            ]
        return list(counts.values()), durations, breaches

    def _networks(self, first: dict[str, dict], resolved: dict[str, int]) -> list[NetworkRow]:
        """Each network's row (those configured, and any a case came by), then all of them together; none when
        there is only one network: the report's figures are its own."""
        names = sorted(set(self.networks) | set(first) | set(resolved))
        if len(names) < 2:
            return []
        rows = [
            NetworkRow(
                network=name,
                name=self.networks[name].display_name if name in self.networks else name,
                **first.get(name, {}),
                resolved=resolved.get(name, 0),
            )
            for name in names
        ]
        rows.sort(key=lambda r: (-(r.opened + r.resolved), r.name.lower()))
        together = NetworkRow(
            network="",
            name="",
            **{k: sum(getattr(r, k) for r in rows) for k in ("opened", "within", "breached", "resolved")},
        )
        return [*rows, together]

    def _profile_url(self, message_network: str, handle: str) -> str:
        network = self.networks.get(network_of_message(message_network))
        return network.profile_url(handle) if network is not None else ""

    def _context(self, s, period: Period, campaign: str | None) -> Context:
        span = {"start": period.start, "end": period.end, "campaign": campaign}
        texts = q.recent_texts(s, **span, limit=TOPICS_SAMPLE)
        hashtags, terms = topics(texts)
        places, reach = q.customers(s, **span)
        return Context(
            locations=places,
            reach=[
                Reach(handle, name, followers, posts, self._profile_url(network, handle))
                for handle, name, followers, posts, network in reach
            ],
            hashtags=hashtags,
            terms=terms,
            sampled=len(texts),
        )

    def _breach(self, row: dict) -> Breach:
        link = None
        if row.get("channel") and row.get("thread_id"):
            link = self.chat.thread_link(row["channel"], row["thread_id"])
        answered = row["answered"] if "answered" in row else row["first_reply_at"] is not None
        return Breach(
            case_id=row["case_id"],
            customer_handle=row["customer_handle"] or "",
            campaign=row["campaign"] or "",
            opened_at=to_utc(row["opened_at"]),
            answered=answered,
            waited=float(row["waited"]),
            link=link,
        )


def _date(text: str, spec: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"`{spec}` is not a period I know")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a date") from None


COUNTS = ("opened", "within", "late", "unanswered", "closed", "pending", "waiting", "messages")


@dataclass(frozen=True)
class _Cohort:
    per_bucket: list[FirstResponse]
    per_campaign: dict[str, dict]  # opened, within, breached, messages
    breaches: list[dict]
    messages: list[int]  # customer posts and public replies of each bucket's cases
    per_network: dict[str, dict]  # opened, within, breached


def _agents(work: list[tuple], handle: dict, agent: str | None) -> list[AgentRow]:
    totals = {actor: counts for actor, *counts in work}
    if agent and agent not in totals:
        totals[agent] = [0, 0, 0]
    rows = [AgentRow(a, *t, interpolate(*handle.get(a, (0, {})), MEDIAN)) for a, t in totals.items()]
    return sorted(rows, key=lambda r: (-(r.claims + r.replies + r.resolved), r.agent))


def _campaigns(first: dict[str, dict], resolved: dict[str, int], handle: dict) -> list[CampaignRow]:
    rows = [
        CampaignRow(
            campaign=campaign,
            **first.get(campaign, {}),
            resolved=resolved.get(campaign, 0),
            median_handle=interpolate(*handle.get(campaign, (0, {})), MEDIAN),
        )
        for campaign in sorted(set(first) | set(resolved))
    ]
    return sorted(rows, key=lambda r: (-(r.opened + r.resolved), r.campaign))
