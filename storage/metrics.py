"""Metrics queries: counts, durations and order statistics computed by the database from messages and events.

Every moment passed in is an aware datetime (a naive one is taken to be UTC); periods are half-open, [start, end).
`bounds` is a sorted list of moments [b0, b1, ..., bn] that splits [b0, bn) into n buckets (days, weeks).
Durations come back in seconds. Percentiles: `order_statistics` returns the two ranked values around each
wanted fraction (linear interpolation between them is left to the caller), so both databases need only
ROW_NUMBER() and COUNT() windows.
"""

from datetime import UTC, datetime

from sqlalchemy import and_, case, distinct, func, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import Case, Event, Message

STATUS_KINDS = ("claim", "unclaim", "reassign", "resolve", "reopen")
WORK_KINDS = ("claim", "reply", "resolve")
SUMMARY = ("bucket", "campaign", "opened", "within", "late", "unanswered", "closed", "pending", "waiting")
SUMMARY += ("posts", "replies")
Fraction = tuple[int, int]  # (numerator, denominator): the median is (1, 2)
OrderStatistics = dict  # group -> (count, {rank: value}) with ranks counted from 1


def _utc(moment: datetime) -> datetime:
    """Aware UTC, as the columns take it (a naive moment is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _seconds(session: Session, later, earlier):
    if session.get_bind().dialect.name == "sqlite":
        # julianday() is a double: rounding to the millisecond keeps a duration of exactly N minutes exact.
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)
    return func.extract("epoch", later - earlier)


def _bucket(column, bounds: list[datetime]):
    if len(bounds) == 2:
        return literal(0)
    return case(*[(column < b, i) for i, b in enumerate(bounds[1:-1])], else_=len(bounds) - 2)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _reply_filter():
    return Message.case_id == Case.id, Message.direction == "out", Message.state == "sent"


def _first_reply():
    return select(func.min(Message.posted_at)).where(*_reply_filter()).correlate(Case).scalar_subquery()


def _first_reply_agent():
    return (
        select(Message.agent)
        .where(*_reply_filter())
        .order_by(Message.posted_at, Message.id)
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def _messages(*direction_state):
    return (
        select(func.count())
        .select_from(Message)
        .where(Message.case_id == Case.id, *direction_state)
        .correlate(Case)
        .scalar_subquery()
    )


def _message_counts():
    """A case's customer posts and public replies (index-only look-ups, never a scan of the messages)."""
    return (
        _messages(Message.direction == "in").label("posts"),
        _messages(Message.direction == "out", Message.state == "sent").label("replies"),
    )


def _cohort(bounds: list[datetime], agent: str | None, *extra, materialized: bool = False):
    """Cases opened within the bounds, with their first public reply; for an agent, the cases whose first
    reply was theirs, and the unanswered cases they own."""
    bounds = [_utc(b) for b in bounds]
    query = select(
        Case.id.label("case_id"),
        Case.opened_at,
        Case.campaign,
        Case.status,
        Case.resolved_at,
        _bucket(Case.opened_at, bounds).label("bucket"),
        _first_reply().label("first_reply_at"),
        *extra,
    ).where(Case.opened_at >= bounds[0], Case.opened_at < bounds[-1])
    if agent:
        query = query.where(
            or_(_first_reply_agent() == agent, and_(_first_reply().is_(None), Case.owner == agent)),
        )
    if not materialized:
        return query.subquery("cohort")
    # Materialized, each case's first reply is looked up once, not once per expression that uses it (both
    # databases would otherwise inline the correlated subquery into every reference).
    return query.cte("cohort").prefix_with("MATERIALIZED")


def _classified(session: Session, bounds, now, target_seconds, agent, *extra, materialized: bool = False):
    """The cohort with each case's SLA outcome as of `now`:
    within / late (answered in or after the target), unanswered (no reply, and more than the target passed
    before it was resolved or until now), closed (resolved without a reply within the target), pending."""
    c = _cohort(bounds, agent, *extra, materialized=materialized)
    now = _utc(now)
    frt = _seconds(session, c.c.first_reply_at, c.c.opened_at)
    stop = case((c.c.status == "resolved", func.coalesce(c.c.resolved_at, now)), else_=now)
    waited = _seconds(session, stop, c.c.opened_at)
    answered = c.c.first_reply_at.is_not(None)
    outcome = case(
        (and_(answered, frt <= target_seconds), "within"),
        (answered, "late"),
        (waited > target_seconds, "unanswered"),
        (c.c.status == "resolved", "closed"),
        else_="pending",
    )
    return select(c, frt.label("frt"), waited.label("waited"), outcome.label("outcome")).subquery("classified")


def prepare(session: Session) -> None:
    """Before a report's queries: PostgreSQL's JIT compiler, set off by their cost estimates, spends more time
    compiling them (a few hundred ms) than they take to run."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def first_response_summary(
    session: Session, *, bounds: list[datetime], now: datetime, target_seconds: float, agent: str | None = None
) -> list[dict]:
    """Per bucket and campaign: cases opened, counted by SLA outcome; `waiting`, those with no reply and not
    resolved now; `posts` and `replies`, their customer posts and public replies."""
    k = _classified(session, bounds, now, target_seconds, agent, *_message_counts(), materialized=True)
    rows = session.exec(
        select(
            k.c.bucket,
            k.c.campaign,
            func.count(),
            *[_count_if(k.c.outcome == o) for o in ("within", "late", "unanswered", "closed", "pending")],
            _count_if(and_(k.c.first_reply_at.is_(None), k.c.status != "resolved")),
            func.coalesce(func.sum(k.c.posts), 0),
            func.coalesce(func.sum(k.c.replies), 0),
        ).group_by(k.c.bucket, k.c.campaign)
    )
    names = SUMMARY
    return [dict(zip(names, (int(v) if i != 1 else v for i, v in enumerate(row)), strict=True)) for row in rows]


def first_response_statistics(
    session: Session, *, bounds: list[datetime], fractions: list[Fraction], agent: str | None = None
) -> OrderStatistics:
    """Order statistics of first response times (answered cases), per bucket."""
    c = _cohort(bounds, agent)
    values = (
        select(c.c.bucket.label("g"), _seconds(session, c.c.first_reply_at, c.c.opened_at).label("v"))
        .where(c.c.first_reply_at.is_not(None))
        .subquery("frt")
    )
    return order_statistics(session, values, fractions)


def breached_cases(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    target_seconds: float,
    agent: str | None = None,
    limit: int = 10,
) -> list[dict]:
    """The first `limit` breached cases opened in [start, end), oldest first, with their thread."""
    k = _classified(
        session, [start, end], now, target_seconds, agent, Case.customer_handle, Case.channel, Case.thread_ts
    )
    rows = session.exec(
        select(
            k.c.case_id,
            k.c.customer_handle,
            k.c.campaign,
            k.c.opened_at,
            k.c.first_reply_at,
            func.coalesce(k.c.frt, k.c.waited),
            k.c.channel,
            k.c.thread_ts,
        )
        .where(k.c.outcome.in_(("late", "unanswered")))
        .order_by(k.c.opened_at, k.c.case_id)
        .limit(limit)
    )
    names = ("case_id", "customer_handle", "campaign", "opened_at", "first_reply_at", "waited", "channel", "thread_ts")
    return [dict(zip(names, row, strict=True)) for row in rows]


def first_response_rows(session: Session, *, bounds: list[datetime], agent: str | None = None) -> list[tuple]:
    """(case_id, bucket, campaign, opened_at, first_reply_at, status, resolved_at, posts, replies) of the cohort:
    what business-hours SLA clocks need, which the databases cannot count portably."""
    c = _cohort(bounds, agent, *_message_counts())
    return list(
        session.exec(
            select(
                c.c.case_id,
                c.c.bucket,
                c.c.campaign,
                c.c.opened_at,
                c.c.first_reply_at,
                c.c.status,
                c.c.resolved_at,
                c.c.posts,
                c.c.replies,
            )
        )
    )


def case_threads(session: Session, *, case_ids: list[int]) -> dict[int, dict]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(Case.id, Case.customer_handle, Case.campaign, Case.channel, Case.thread_ts).where(Case.id.in_(case_ids))
    )
    return {r[0]: {"customer_handle": r[1], "campaign": r[2], "channel": r[3], "thread_ts": r[4]} for r in rows}


def order_statistics(session: Session, values, fractions: list[Fraction], keys: tuple[str, ...] = ("g",)):
    """For a selectable with columns v (value, not null) and group columns `keys`: per group of each key, the
    count and the values at the ranks around each fraction, floor((n-1)p)+1 and ceil((n-1)p)+1. With one key
    an OrderStatistics, with several a dict of them by key, from one pass over the values."""
    columns, wanted = [values.c.v], []
    for key in keys:
        group = values.c[key]
        rn = func.row_number().over(partition_by=group, order_by=values.c.v).label(f"rn_{key}")
        n = func.count().over(partition_by=group).label(f"n_{key}")
        columns += [group, rn, n]
    ranked = select(*columns).subquery("ranked")
    for key in keys:
        rn, n = ranked.c[f"rn_{key}"], ranked.c[f"n_{key}"]
        for num, den in fractions:
            wanted.append(rn == (n - 1) * num // den + 1)
            wanted.append(rn == ((n - 1) * num + den - 1) // den + 1)
    result: dict[str, OrderStatistics] = {key: {} for key in keys}
    for row in session.exec(select(ranked).where(or_(*wanted))).mappings():
        for key in keys:
            result[key].setdefault(row[key], (int(row[f"n_{key}"]), {}))[1][int(row[f"rn_{key}"])] = float(row["v"])
    return result[keys[0]] if len(keys) == 1 else result


def resolution_counts(session: Session, *, start: datetime, end: datetime, agent: str | None = None) -> dict:
    """Cases resolved and cases reopened in [start, end) (each case once)."""
    query = select(
        func.count(distinct(case((Event.kind == "resolve", Event.case_id)))),
        func.count(distinct(case((Event.kind == "reopen", Event.case_id)))),
    ).where(Event.kind.in_(("resolve", "reopen")), Event.at >= _utc(start), Event.at < _utc(end))
    if agent:
        query = query.where(Event.actor == agent)
    resolved, reopened = session.exec(query).one()
    return {"resolved": int(resolved), "reopened": int(reopened)}


def backlog_at(session: Session, *, at: datetime) -> int:
    """Cases opened before `at` and not resolved at `at`.

    A case's resolve and reopen events alternate, starting with a resolve (each is recorded only by the
    conditional update that moved the case into or out of 'resolved'), so the cases resolved at `at` number
    the resolve events before it minus the reopen events before it: three index range counts."""
    at = _utc(at)
    opened = session.scalar(select(func.count()).select_from(Case).where(Case.opened_at < at))
    resolves, reopens = session.exec(
        select(_count_if(Event.kind == "resolve"), _count_if(Event.kind == "reopen")).where(
            Event.kind.in_(("resolve", "reopen")), Event.at < at
        )
    ).one()
    return max(int(opened) - int(resolves) + int(reopens), 0)


def resolution_time_statistics(
    session: Session, *, start: datetime, end: datetime, fractions: list[Fraction], agent: str | None = None
) -> OrderStatistics:
    """Order statistics (one group, 0) of resolution times: for each case resolved in [start, end), from its
    last (re)opening to its last resolution in the period. The opening is the latest reopen event before the
    resolution, else the case's first customer post."""
    last = (
        select(
            Event.case_id,
            Event.at,
            func.row_number().over(partition_by=Event.case_id, order_by=(Event.at.desc(), Event.id.desc())).label("rn"),
        )
        .where(Event.kind == "resolve", Event.at >= _utc(start), Event.at < _utc(end))
        .where(*([Event.actor == agent] if agent else []))
        .subquery("last_resolve")
    )
    reopen = aliased(Event)
    reopened_at = (
        select(func.max(reopen.at))
        .where(reopen.case_id == last.c.case_id, reopen.kind == "reopen", reopen.at <= last.c.at)
        .scalar_subquery()
    )
    values = (
        select(
            literal(0).label("g"), _seconds(session, last.c.at, func.coalesce(reopened_at, Case.opened_at)).label("v")
        )
        .join_from(last, Case, Case.id == last.c.case_id)
        .where(last.c.rn == 1)
        .subquery("resolution")
    )
    return order_statistics(session, values, fractions)


def activity(session: Session, *, start: datetime, end: datetime, agent: str | None = None) -> list[tuple]:
    """(agent, campaign, claims, public replies, resolutions) in [start, end)."""
    query = (
        select(Event.actor, Case.campaign, *[_count_if(Event.kind == kind) for kind in WORK_KINDS])
        .join(Case, Case.id == Event.case_id)
        .where(Event.kind.in_(WORK_KINDS), Event.at >= _utc(start), Event.at < _utc(end), Event.actor != "")
        .group_by(Event.actor, Case.campaign)
    )
    if agent:
        query = query.where(Event.actor == agent)
    return [(a, c, int(x), int(y), int(z)) for a, c, x, y, z in session.exec(query)]


def handle_time_statistics(
    session: Session, *, start: datetime, end: datetime, fractions: list[Fraction], agent: str | None = None
) -> dict[str, OrderStatistics]:
    """Order statistics of handle times (claim to resolve) of the resolutions in [start, end), by "agent" (the
    resolver) and by "campaign". A resolution counts when the status event before it is the claim (or a
    reassignment) that made its resolver the owner; a case closed without being claimed has none."""
    s, e = _utc(start), _utc(end)
    resolved = select(Event.case_id).where(Event.kind == "resolve", Event.at >= s, Event.at < e).distinct()
    window = {"partition_by": Event.case_id, "order_by": (Event.at, Event.id)}
    seq = (
        select(
            Event.case_id,
            Event.kind,
            Event.actor,
            Event.at,
            func.lag(Event.kind).over(**window).label("prev_kind"),
            func.lag(Event.at).over(**window).label("prev_at"),
        )
        .where(Event.case_id.in_(resolved), Event.kind.in_(STATUS_KINDS))
        .subquery("seq")
    )
    values = (
        select(
            seq.c.actor.label("agent"),
            Case.campaign.label("campaign"),
            _seconds(session, seq.c.at, seq.c.prev_at).label("v"),
        )
        .join_from(seq, Case, Case.id == seq.c.case_id)
        .where(seq.c.kind == "resolve", seq.c.at >= s, seq.c.at < e, seq.c.prev_kind.in_(("claim", "reassign")))
    )
    if agent:
        values = values.where(seq.c.actor == agent)
    return order_statistics(session, values.subquery("handle"), fractions, keys=("agent", "campaign"))


def _inbound(start: datetime, end: datetime):
    return Message.direction == "in", Message.posted_at >= _utc(start), Message.posted_at < _utc(end)


def top_locations(session: Session, *, start: datetime, end: datetime, limit: int = 5) -> list[tuple[str, int]]:
    """Where the customers who wrote in [start, end) say they are: (location, customers), most first."""
    place = func.trim(Message.author_location)
    customers = func.count(distinct(Message.author_id))
    rows = session.exec(
        select(func.min(place), customers)
        .where(*_inbound(start, end), Message.author_location.is_not(None), place != "")
        .group_by(func.lower(place))
        .order_by(customers.desc(), func.lower(place))
        .limit(limit)
    )
    return [(p, int(n)) for p, n in rows]


def top_authors(session: Session, *, start: datetime, end: datetime, limit: int = 5) -> list[tuple]:
    """The customers with the most followers who wrote in [start, end): (handle, name, followers, posts)."""
    followers = func.max(Message.author_followers)
    rows = session.exec(
        select(func.max(Message.author_handle), func.max(Message.author_name), followers, func.count())
        .where(*_inbound(start, end), Message.author_followers.is_not(None))
        .group_by(Message.author_id)
        .order_by(followers.desc(), func.max(Message.author_handle))
        .limit(limit)
    )
    return [(h, n, int(f), int(c)) for h, n, f, c in rows]


def recent_texts(session: Session, *, start: datetime, end: datetime, limit: int) -> list[str]:
    """The texts of the latest `limit` customer posts in [start, end)."""
    return list(
        session.scalars(
            select(Message.text).where(*_inbound(start, end)).order_by(Message.posted_at.desc()).limit(limit)
        )
    )


def recent_actors(session: Session, *, since: datetime) -> list[str]:
    """Slack users who claimed, replied or resolved since `since`."""
    rows = session.scalars(
        select(Event.actor).where(Event.kind.in_(WORK_KINDS), Event.at >= _utc(since), Event.actor != "").distinct()
    )
    return sorted(rows)
