"""Metrics queries: counts, durations and order statistics computed by the database from messages and events.

Every moment passed in is an aware datetime (a naive one is taken to be UTC); periods are half-open, [start, end).
`bounds` is a sorted list of moments [b0, b1, ..., bn] that splits [b0, bn) into n buckets (days, weeks).
Durations come back in seconds. Percentiles come as order statistics: per group, the count and the two ranked
values around each wanted fraction (linear interpolation between them is left to the caller), so both
databases need only ROW_NUMBER() and COUNT() windows.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import Case, Event, Message

STATUS_KINDS = ("claim", "unclaim", "reassign", "resolve", "reopen")
WORK_KINDS = ("claim", "reply", "resolve")
SUMMARY = (
    *("bucket", "campaign", "network", "opened"),
    *("within", "late", "unanswered", "closed", "pending", "waiting", "messages"),
)
Fraction = tuple[int, int]  # (numerator, denominator): the median is (1, 2)
OrderStatistics = dict  # group -> (count, {rank: value}) with ranks counted from 1


READ_ONLY_KIND = "term"


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


def _message_count():
    """A case's customer posts and public replies: one index look-up, never a scan of the messages."""
    return _messages(or_(Message.direction == "in", and_(Message.direction == "out", Message.state == "sent"))).label(
        "messages"
    )


def _cohort(bounds: list[datetime], agent: str | None, campaign: str | None, *extra, materialized: bool = False):
    """Cases opened within the bounds (of a campaign, if given), with their first public reply; for an agent,
    the cases whose first reply was theirs, and the unanswered cases they own."""
    bounds = [_utc(b) for b in bounds]
    query = select(
        Case.id.label("case_id"),
        Case.opened_at,
        Case.campaign,
        Case.network,
        Case.status,
        Case.resolved_at,
        Case.kind,
        _bucket(Case.opened_at, bounds).label("bucket"),
        _first_reply().label("first_reply_at"),
        *extra,
    ).where(Case.opened_at >= bounds[0], Case.opened_at < bounds[-1])
    if campaign is not None:
        query = query.where(Case.campaign == campaign)
    if agent:
        query = query.where(
            or_(_first_reply_agent() == agent, and_(_first_reply().is_(None), Case.owner == agent)),
        )
    if not materialized:
        return query.subquery("cohort")
    # Materialized, each case's first reply is looked up once, not once per expression that uses it (both
    # databases would otherwise inline the correlated subquery into every reference).
    return query.cte("cohort").prefix_with("MATERIALIZED")


def _classified(session: Session, bounds, now, target_seconds, agent, campaign, *extra, materialized=False):
    """The cohort with each case's SLA outcome as of `now`:
    within / late (answered in or after the target), unanswered (no reply, and more than the target passed
    before it was resolved or until now), closed (resolved without a reply within the target), pending."""
    c = _cohort(bounds, agent, campaign, *extra, materialized=materialized)
    now = _utc(now)
    frt = _seconds(session, c.c.first_reply_at, c.c.opened_at)
    stop = case((c.c.status == "resolved", func.coalesce(c.c.resolved_at, now)), else_=now)
    waited = _seconds(session, stop, c.c.opened_at)
    answered = c.c.first_reply_at.is_not(None)
    outcome = case(
        # A tracked term's post cannot be answered from the bridge (X allows replies only to mentions): no SLA.
        (c.c.kind == READ_ONLY_KIND, "closed"),
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
    else:
        session.execute(text("PRAGMA cache_size = -65536"))


def _ranks(name: str, group, value, fractions: list[Fraction], *conditions):
    """A SELECT of (name, group, rank, count, value): per group, the ranks around each fraction,
    floor((n-1)p)+1 and ceil((n-1)p)+1. The value is computed once per row, in a subquery of its own: written in
    the window's ORDER BY as well, SQLite computes it twice (a third of the ranking's time)."""
    values = select(group.label("g"), value.label("v")).where(*conditions).subquery(f"{name}_values")
    g, v = values.c.g, values.c.v
    ranked = select(
        g,
        v,
        func.row_number().over(partition_by=g, order_by=v).label("rn"),
        func.count().over(partition_by=g).label("n"),
    ).subquery(name)
    rn, n = ranked.c.rn, ranked.c.n
    wanted = [rn == (n - 1) * num // den + 1 for num, den in fractions]
    wanted += [rn == ((n - 1) * num + den - 1) // den + 1 for num, den in fractions]
    columns = (literal(name), ranked.c.g.cast(String), rn.cast(Float), n.cast(Float), ranked.c.v.cast(Float))
    return select(*columns).where(or_(*wanted))


def _collect(rows, key=lambda group: group) -> dict[str, OrderStatistics]:
    """(name, group, rank, count, value) rows, as order statistics by name."""
    found: dict[str, OrderStatistics] = {}
    for name, group, rank, n, value in rows:
        found.setdefault(name, {}).setdefault(key(group), (int(n), {}))[1][int(rank)] = float(value)
    return found


def first_response_figures(
    session: Session,
    *,
    bounds: list[datetime],
    now: datetime,
    target_seconds: float,
    fractions: list[Fraction],
    agent: str | None = None,
    campaign: str | None = None,
) -> tuple[list[dict], OrderStatistics]:
    """Per bucket, campaign and network: cases opened, counted by SLA outcome; `waiting`, those with no reply and not
    resolved now; `messages`, their customer posts and public replies. And per bucket the order
    statistics of the first response times of the answered ones. One statement over one materialized cohort."""
    k = _classified(session, bounds, now, target_seconds, agent, campaign, _message_count(), materialized=True)
    counts = [
        func.count(),
        *[_count_if(k.c.outcome == o) for o in ("within", "late", "unanswered", "closed", "pending")],
        _count_if(and_(k.c.first_reply_at.is_(None), k.c.status != "resolved")),
        func.coalesce(func.sum(k.c.messages), 0),
    ]
    nothing = [null().cast(Integer)] * len(counts)
    ranks = _ranks("frt", k.c.bucket, k.c.frt, fractions, k.c.first_reply_at.is_not(None)).subquery("ranks")
    statement = union_all(
        select(k.c.bucket.cast(String), k.c.campaign, k.c.network, *counts, *[null().cast(Float)] * 3).group_by(
            k.c.bucket, k.c.campaign, k.c.network
        ),
        select(*ranks.c[1:2], null().cast(String), null().cast(String), *nothing, *ranks.c[2:]),
    )
    summary, ranked = [], []
    for bucket, campaign, network, *rest in session.exec(statement):
        if rest[0] is not None:
            values = (int(bucket), campaign, network, *(int(v) for v in rest[:-3]))
            summary.append(dict(zip(SUMMARY, values, strict=True)))
        else:
            ranked.append(("frt", bucket, *rest[-3:]))
    return summary, _collect(ranked, int).get("frt", {})


def breached_cases(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    target_seconds: float,
    agent: str | None = None,
    campaign: str | None = None,
    limit: int = 10,
) -> list[dict]:
    """The first `limit` breached cases opened in [start, end), oldest first, with their thread."""
    k = _classified(
        session, [start, end], now, target_seconds, agent, campaign, Case.customer_handle, Case.channel, Case.thread_id
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
            k.c.thread_id,
        )
        .where(k.c.outcome.in_(("late", "unanswered")))
        .order_by(k.c.opened_at, k.c.case_id)
        .limit(limit)
    )
    names = ("case_id", "customer_handle", "campaign", "opened_at", "first_reply_at", "waited", "channel", "thread_id")
    return [dict(zip(names, row, strict=True)) for row in rows]


def first_response_rows(
    session: Session, *, bounds: list[datetime], agent: str | None = None, campaign: str | None = None
) -> list[tuple]:
    """(case_id, bucket, campaign, network, opened_at, first_reply_at, status, resolved_at, messages, kind) of the
    cohort: what business-hours SLA clocks need, which the databases cannot count portably."""
    c = _cohort(bounds, agent, campaign, _message_count(), materialized=True)
    return list(
        session.exec(
            select(
                c.c.case_id,
                c.c.bucket,
                c.c.campaign,
                c.c.network,
                c.c.opened_at,
                c.c.first_reply_at,
                c.c.status,
                c.c.resolved_at,
                c.c.messages,
                c.c.kind,
            )
        )
    )


def case_threads(session: Session, *, case_ids: list[int]) -> dict[int, dict]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(Case.id, Case.customer_handle, Case.campaign, Case.channel, Case.thread_id).where(Case.id.in_(case_ids))
    )
    return {r[0]: {"customer_handle": r[1], "campaign": r[2], "channel": r[3], "thread_id": r[4]} for r in rows}


def reopened_count(
    session: Session, *, start: datetime, end: datetime, agent: str | None = None, campaign: str | None = None
) -> int:
    """Cases reopened in [start, end), each once."""
    query = select(func.count(distinct(Event.case_id))).where(
        Event.kind == "reopen", Event.at >= _utc(start), Event.at < _utc(end)
    )
    if agent:
        query = query.where(Event.actor == agent)
    return int(session.scalar(_of_campaign(query, Event.case_id, campaign)))


def backlog_at(session: Session, *, at: datetime, campaign: str | None = None) -> int:
    """Cases opened before `at` and not resolved at `at`.

    A case's resolve and reopen events alternate, starting with a resolve (each is recorded, with the case's
    status, only by the conditional update that moved the case into or out of 'resolved'), so the cases
    resolved at a moment number the resolve events before it minus the reopen events before it. Counted back
    from the cases not resolved now, only what happened since `at` is read: a few rows for a recent moment."""
    at = _utc(at)
    of_campaign = [Case.campaign == campaign] if campaign is not None else []
    unresolved = session.scalar(
        select(func.count()).select_from(Case).where(Case.status.in_(("open", "claimed")), *of_campaign)
    )
    opened_since = session.scalar(select(func.count()).select_from(Case).where(Case.opened_at >= at, *of_campaign))
    changes = select(_count_if(Event.kind == "resolve"), _count_if(Event.kind == "reopen")).where(
        Event.kind.in_(("resolve", "reopen")), Event.at >= at
    )
    resolves, reopens = session.exec(_of_campaign(changes, Event.case_id, campaign)).one()
    return max(int(unresolved) - int(opened_since) + int(resolves) - int(reopens), 0)


RESOLUTION_STATISTICS = ("resolved", "resolved_by_network", "resolution", "handle_by_agent", "handle_by_campaign")
COUNTED = ("resolved", "resolved_by_network")


def resolution_statistics(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    fractions: list[Fraction],
    agent: str | None = None,
    campaign: str | None = None,
) -> dict[str, OrderStatistics]:
    """The resolutions in [start, end), in one statement over them:
    - "resolved": per campaign, the cases resolved (each once), as {campaign: count}; "resolved_by_network" the
      same per network;
    - "resolution" (group 0): from the case's latest (re)opening before the resolution (the latest reopen
      event, else the case's first customer post) to the resolution;
    - "handle_by_agent" (the resolver) and "handle_by_campaign": from the claim to the resolution, when the
      latest claim (or reassignment, or reopening that gave the case back to its owner) before the resolution was
      not followed by an unclaim or a reopening that left the case unowned (a resolution before this one was always
      followed by a reopening), i.e. it made the resolver the owner; a case closed unclaimed has none.
    Each resolution looks up a few index entries of its own case, never a pass over all the events."""
    resolve, before = aliased(Event), aliased(Event)
    # A customer's post gives a resolved case back to its owner (named in the reopen event): that starts a handling
    # as a claim does; a reopening that left the case unowned releases it as an unclaim does.
    kept_owner = and_(before.kind == "reopen", before.detail.is_not(None))
    taken = or_(before.kind.in_(("claim", "reassign")), kept_owner)
    released = or_(before.kind == "unclaim", and_(before.kind == "reopen", before.detail.is_(None)))

    def latest(condition):
        """When the case last had such an event before the resolution (a max over a few index entries)."""
        return (
            select(func.max(before.at))
            .where(before.case_id == resolve.case_id, condition, before.at < resolve.at)
            .correlate(resolve)
            .scalar_subquery()
        )

    rows = (
        select(
            resolve.case_id,
            resolve.actor.label("agent"),
            Case.campaign.label("campaign"),
            Case.network.label("network"),
            resolve.at,
            latest(taken).label("claimed_at"),
            latest(released).label("released_at"),
            _seconds(session, resolve.at, func.coalesce(latest(before.kind == "reopen"), Case.opened_at)).label(
                "resolution"
            ),
        )
        .select_from(resolve)
        .join(Case, Case.id == resolve.case_id)
        .where(resolve.kind == "resolve", resolve.at >= _utc(start), resolve.at < _utc(end))
    )
    if agent:
        rows = rows.where(resolve.actor == agent)
    if campaign is not None:
        rows = rows.where(Case.campaign == campaign)
    r = rows.cte("resolutions").prefix_with("MATERIALIZED")
    # The claim made the resolver the owner when nothing released the case after it.
    handled = and_(r.c.claimed_at.is_not(None), or_(r.c.released_at.is_(None), r.c.released_at < r.c.claimed_at))
    handle = _seconds(session, r.c.at, r.c.claimed_at)

    def resolved(name, group):
        count = func.count(distinct(r.c.case_id)).cast(Float)
        return select(literal(name), group, count, *[null().cast(Float)] * 2).group_by(group)

    statement = union_all(
        resolved("resolved", r.c.campaign),
        resolved("resolved_by_network", r.c.network),
        _ranks("resolution", literal("0"), r.c.resolution, fractions),
        _ranks("handle_by_agent", r.c.agent, handle, fractions, handled),
        _ranks("handle_by_campaign", r.c.campaign, handle, fractions, handled),
    )
    rows = list(session.exec(statement))
    found = _collect(row for row in rows if row[0] not in COUNTED)
    for counted in COUNTED:
        found[counted] = {group: int(n) for name, group, n, _, _ in rows if name == counted}
    found["resolution"] = {0: found.pop("resolution")["0"]} if "resolution" in found else {}
    return {name: found.get(name, {}) for name in RESOLUTION_STATISTICS}


def activity(
    session: Session, *, start: datetime, end: datetime, agent: str | None = None, campaign: str | None = None
) -> list[tuple]:
    """(agent, claims, public replies, resolutions) in [start, end)."""
    query = (
        select(Event.actor, *[_count_if(Event.kind == kind) for kind in WORK_KINDS])
        .where(Event.kind.in_(WORK_KINDS), Event.at >= _utc(start), Event.at < _utc(end), Event.actor != "")
        .group_by(Event.actor)
    )
    if agent:
        query = query.where(Event.actor == agent)
    query = _of_campaign(query, Event.case_id, campaign)
    return [(a, int(x), int(y), int(z)) for a, x, y, z in session.exec(query)]


def _inbound(start: datetime, end: datetime):
    return Message.direction == "in", Message.posted_at >= _utc(start), Message.posted_at < _utc(end)


def _of_campaign(query, case_id, campaign: str | None):
    """The query narrowed to the cases of a campaign (by a join), or as it is."""
    if campaign is None:
        return query
    return query.join(Case, Case.id == case_id).where(Case.campaign == campaign)


def customers(
    session: Session, *, start: datetime, end: datetime, limit: int = 5, campaign: str | None = None
) -> tuple[list[tuple[str, int]], list[tuple]]:
    """Who wrote in [start, end): the places they say they are, as (place, customers), most first; and those
    with the most followers, as (handle, name, followers, posts, network of their messages). One pass over the
    period's posts."""
    place = func.trim(Message.author_location)
    per_author = select(
        func.max(Message.author_handle).label("handle"),
        func.max(Message.author_name).label("name"),
        func.max(Message.author_followers).label("followers"),
        func.min(place).label("place"),
        func.count().label("posts"),
        func.max(Message.network).label("network"),
    ).where(*_inbound(start, end))
    authors = (
        _of_campaign(per_author, Message.case_id, campaign)
        .group_by(Message.author_id)
        .cte("authors")
        .prefix_with("MATERIALIZED")
    )
    reach = (
        select(authors.c.handle, authors.c.name, authors.c.followers, authors.c.posts, authors.c.network)
        .where(authors.c.followers.is_not(None))
        .order_by(authors.c.followers.desc(), authors.c.handle)
        .limit(limit)
        .subquery("reach")
    )
    n = func.count().label("n")
    places = (
        select(func.min(authors.c.place).label("place"), n)
        .where(authors.c.place.is_not(None), authors.c.place != "")
        .group_by(func.lower(authors.c.place))
        .order_by(n.desc(), func.lower(authors.c.place))
        .limit(limit)
        .subquery("places")
    )
    statement = union_all(
        select(
            literal("place"), places.c.place, null().cast(String), places.c.n, null().cast(Integer), null().cast(String)
        ),
        select(literal("reach"), reach.c.handle, reach.c.name, reach.c.followers, reach.c.posts, reach.c.network),
    )
    found: dict[str, list] = {"place": [], "reach": []}
    for kind, text_, name, number, posts, network in session.exec(statement):
        found[kind].append((text_, int(number)) if kind == "place" else (text_, name, int(number), int(posts), network))
    by_customers = sorted(found["place"], key=lambda p: (-p[1], p[0].lower()))
    by_followers = sorted(found["reach"], key=lambda r: (-r[2], r[0]))
    return by_customers, by_followers


def recent_texts(
    session: Session, *, start: datetime, end: datetime, limit: int, campaign: str | None = None
) -> list[str]:
    """The texts of the latest `limit` customer posts in [start, end)."""
    query = _of_campaign(select(Message.text).where(*_inbound(start, end)), Message.case_id, campaign)
    return list(session.scalars(query.order_by(Message.posted_at.desc()).limit(limit)))


def recent_actors(session: Session, *, since: datetime) -> list[str]:
    """Slack users who claimed, replied or resolved since `since`."""
    rows = session.scalars(
        select(Event.actor).where(Event.kind.in_(WORK_KINDS), Event.at >= _utc(since), Event.actor != "").distinct()
    )
    return sorted(rows)
