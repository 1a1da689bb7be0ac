"""Cases, their messages and events: ingest, mirroring, the card and the claim state machine."""

from datetime import datetime

from sqlalchemy import bindparam, case, exists, func, insert, or_, update
from sqlmodel import Session, select

from storage.models import Case, Event, Message

CHUNK = 500  # values bound in one IN (...): well under every database's limit


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def existing_post_ids(session: Session, *, network: str, post_ids: list[str]) -> set[str]:
    if not post_ids:
        return set()
    rows = session.exec(select(Message.post_id).where(Message.network == network, Message.post_id.in_(post_ids)))
    return set(rows)


def find_case(session: Session, *, network: str, account_id: str, conversation_id: str, customer_id: str):
    return session.exec(
        select(Case).where(
            Case.network == network,
            Case.account_id == account_id,
            Case.conversation_id == conversation_id,
            Case.customer_id == customer_id,
        )
    ).first()


def get_case(session: Session, *, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def case_by_thread(session: Session, *, channel: str, thread_id: str) -> Case | None:
    return session.exec(select(Case).where(Case.channel == channel, Case.thread_id == thread_id)).first()


def add_case(session: Session, **fields) -> Case:
    case = Case(**fields)
    session.add(case)
    session.flush()
    return case


def add_message(session: Session, **fields) -> Message:
    message = Message(**fields)
    session.add(message)
    session.flush()
    return message


def add_event(session: Session, *, case_id: int, kind: str, actor: str, at: datetime, detail: str | None = None):
    session.add(Event(case_id=case_id, kind=kind, actor=actor, at=at, detail=detail))


def reopen_on_customer_posts(session: Session, *, case_ids: list[int]) -> set[int]:
    """Resolved cases come back to their owner (claimed by them), or open when nobody owned it; the ids of those that
    did (one still resolved when the statement ran)."""
    reopened: set[int] = set()
    for chunk in _chunks(sorted(case_ids)):
        statement = (
            update(Case)
            .where(Case.id.in_(chunk), Case.status == "resolved")
            .values(
                status=case((Case.owner.is_(None), "open"), else_="claimed"),
                resolved_at=None,
                card_rev=Case.card_rev + 1,
            )
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
        reopened.update(session.exec(statement).scalars())
    return reopened


def add_events(session: Session, rows: list[dict]) -> None:
    """Insert events together (case_id, kind, actor, at, detail each)."""
    if rows:
        session.connection().execute(insert(Event.__table__), rows)


def cases_of_conversations(
    session: Session, *, network: str, account_id: str, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], Case]:
    """The cases of these (conversation id, customer id) pairs with the account, by pair: find_case for many."""
    found: dict[tuple[str, str], Case] = {}
    conversations = sorted({conversation for conversation, _ in keys})
    for chunk in _chunks(conversations):
        rows = session.exec(
            select(Case).where(Case.network == network, Case.account_id == account_id, Case.conversation_id.in_(chunk))
        )
        for row in rows:
            if (row.conversation_id, row.customer_id) in keys:
                found[(row.conversation_id, row.customer_id)] = row
    return found


def latest_cases_of_customers(
    session: Session, *, network: str, account_id: str, customer_ids: set[str], kind: str
) -> dict[str, Case]:
    """Each customer's latest case of this kind with the account, by customer: a new conversation soon after it was
    resolved continues it (one still open or claimed is not continued: the new conversation is a case of its own)."""
    latest: dict[str, Case] = {}
    for chunk in _chunks(sorted(customer_ids)):
        newest = (
            select(func.max(Case.id))
            .where(
                Case.network == network,
                Case.account_id == account_id,
                Case.kind == kind,
                Case.customer_id.in_(chunk),
            )
            .group_by(Case.customer_id)
        )
        for row in session.exec(select(Case).where(Case.id.in_(newest))):
            latest[row.customer_id] = row
    return latest


def add_cases(session: Session, rows: list[dict]) -> list[int]:
    """Insert new cases together (a statement per thousand or so); their ids, in the order of `rows`."""
    if not rows:
        return []
    table = Case.__table__  # the table itself, not the ORM's bulk path: plain rows, a third of the time
    key = (table.c.network, table.c.account_id, table.c.conversation_id, table.c.customer_id)  # a unique constraint
    # Matched back by their key, not asked for in order: SQLite does not promise RETURNING's order, so asked for it
    # SQLAlchemy would send one statement per row (half of a 10,000-mention poll's time).
    inserted = session.connection().execute(insert(table).returning(table.c.id, *key), rows)
    ids = {tuple(found): case_id for case_id, *found in inserted}
    return [ids[tuple(row[column.name] for column in key)] for row in rows]


def add_messages(session: Session, rows: list[dict]) -> None:
    """Insert messages together, without reading them back."""
    if rows:
        session.connection().execute(insert(Message.__table__), rows)


def reopenings_told(session: Session, *, messages: list[Message]) -> dict[int, str]:
    """The owner each customer's post gave a resolved case back to, by message id, for the posts that reopened their
    case: the reopening is recorded with the post, at the moment the post was stored, naming the owner it kept (of
    several posts stored at that moment, the first is the one that reopened it)."""
    case_ids = sorted({m.case_id for m in messages})
    reopenings: dict[tuple[int, datetime, str], str] = {}
    for chunk in _chunks(case_ids):
        rows = session.exec(
            select(Event.case_id, Event.at, Event.actor, Event.detail).where(
                Event.case_id.in_(chunk), Event.kind == "reopen", Event.detail.is_not(None)
            )
        )
        reopenings.update({(case_id, at, actor): owner for case_id, at, actor, owner in rows})
    told = {
        m.id: reopenings[(m.case_id, m.stored_at, f"customer:{m.author_id}")]
        for m in messages
        if (m.case_id, m.stored_at, f"customer:{m.author_id}") in reopenings
    }
    if not told:
        return {}
    reopened = sorted({m.case_id for m in messages if m.id in told})
    firsts = set(
        session.exec(
            select(func.min(Message.id))
            .where(Message.case_id.in_(reopened), Message.direction == "in")
            .group_by(Message.case_id, Message.stored_at)
        )
    )
    return {message_id: owner for message_id, owner in told.items() if message_id in firsts}


def transition(
    session: Session,
    *,
    case_id: int,
    from_status: str,
    to_status: str,
    owner_is=None,
    new_owner=None,
    resolved_at: datetime | None = None,
) -> bool:
    """The conditional update behind claim, unclaim, resolve and reopen: True for the one that wins."""
    conditions = [Case.id == case_id, Case.status == from_status]
    if owner_is is not None:
        conditions.append(Case.owner == owner_is)
    values = {"status": to_status, "card_rev": Case.card_rev + 1, "resolved_at": resolved_at}
    if to_status != "resolved":
        values["owner"] = new_owner
    result = session.exec(update(Case).where(*conditions).values(**values))
    return result.rowcount == 1


def touch_card(session: Session, *, case_id: int) -> None:
    session.exec(update(Case).where(Case.id == case_id).values(card_rev=Case.card_rev + 1))


def unmirrored_backlog(session: Session) -> list[tuple]:
    """Every inbound message not yet in the chat, as light rows for ordering the backlog: (message id, case id,
    case kind, case status, case thread id, case channel, author followers)."""
    rows = session.exec(
        select(
            Message.id,
            Message.case_id,
            Case.kind,
            Case.status,
            Case.thread_id,
            Case.channel,
            Message.author_followers,
        )
        .join(Case, Case.id == Message.case_id)
        .where(Message.direction == "in", Message.mirror_id.is_(None))
    )
    return list(rows)


def messages_with_cases(session: Session, *, message_ids: list[int]) -> list[tuple[Message, Case]]:
    """These messages, each with its case, in the order of `message_ids`."""
    if not message_ids:
        return []
    rows = session.exec(select(Message, Case).join(Case, Case.id == Message.case_id).where(Message.id.in_(message_ids)))
    by_id = {message.id: (message, case) for message, case in rows}
    return [by_id[i] for i in message_ids if i in by_id]


def claim_mirror(
    session: Session, *, message_id: int, seen: datetime | None, at: datetime, stale_before: datetime | None
) -> bool:
    """Start an attempt to mirror the message, for one process at a time: True for the one that may go on.

    `seen` is the attempt the caller read (None: none); another's attempt is taken over only once it started
    before `stale_before` (None: the caller's own attempt, taken over at once)."""
    conditions = [Message.id == message_id, Message.mirror_id.is_(None)]
    if seen is None:
        conditions.append(Message.mirror_started_at.is_(None))
    else:
        conditions.append(Message.mirror_started_at == seen)
        if stale_before is not None:
            conditions.append(Message.mirror_started_at < stale_before)
    result = session.exec(update(Message).where(*conditions).values(mirror_started_at=at))
    return result.rowcount == 1


def claim_mirrors(session: Session, *, message_ids: list[int], at: datetime) -> set[int]:
    """claim_mirror for messages no process has tried yet, in one statement each few hundred: the ids won."""
    table = Message.__table__
    won: set[int] = set()
    for chunk in _chunks(message_ids):
        statement = (
            update(table)
            .where(table.c.id.in_(chunk), table.c.mirror_id.is_(None), table.c.mirror_started_at.is_(None))
            .values(mirror_started_at=at)
            .returning(table.c.id)
        )
        won.update(session.connection().execute(statement).scalars())
    return won


def release_mirrors(session: Session, *, message_ids: list[int], at: datetime) -> None:
    """Give back attempts started at `at` that posted nothing (the caller stopped before them): they are as if
    never tried, so that the next attempt posts them without looking for them in the chat first."""
    table = Message.__table__
    for chunk in _chunks(message_ids):
        session.connection().execute(
            update(table)
            .where(table.c.id.in_(chunk), table.c.mirror_id.is_(None), table.c.mirror_started_at == at)
            .values(mirror_started_at=None)
        )


def set_mirrored(session: Session, *, mirror_ids: dict[int, str]) -> None:
    """Record the chat's id of each message posted (message id -> chat id)."""
    if mirror_ids:
        table = Message.__table__
        statement = update(table).where(table.c.id == bindparam("message_id")).values(mirror_id=bindparam("chat_id"))
        session.connection().execute(statement, [{"message_id": m, "chat_id": c} for m, c in mirror_ids.items()])


def set_case_threads(session: Session, *, threads: list[tuple[int, str, str, int]]) -> None:
    """Record the thread each case's card opened: (case id, channel, thread id, card revision drawn)."""
    if threads:
        table = Case.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("case_id"))
            .values(channel=bindparam("to_channel"), thread_id=bindparam("to_thread"), card_synced_rev=bindparam("rev"))
        )
        rows = [{"case_id": i, "to_channel": c, "to_thread": t, "rev": r} for i, c, t, r in threads]
        session.connection().execute(statement, rows)


def move_to_channel(session: Session, *, case_ids: list[int], channel: str) -> None:
    """Show these cases in another channel: only those whose card is not posted yet (no thread) move."""
    for chunk in _chunks(sorted(set(case_ids))):
        session.exec(update(Case).where(Case.id.in_(chunk), Case.thread_id.is_(None)).values(channel=channel))


def get_cases(session: Session, *, case_ids: list[int]) -> dict[int, Case]:
    found: dict[int, Case] = {}
    for chunk in _chunks(sorted(set(case_ids))):
        found.update((case.id, case) for case in session.exec(select(Case).where(Case.id.in_(chunk))))
    return found


def cases_with_stale_cards(session: Session, *, limit: int) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .where(Case.thread_id.is_not(None), Case.card_synced_rev < Case.card_rev)
            .order_by(Case.id)
            .limit(limit)
        )
    )


def mark_card_synced(session: Session, *, case_id: int, rev: int) -> None:
    session.exec(update(Case).where(Case.id == case_id, Case.card_synced_rev < rev).values(card_synced_rev=rev))


def first_inbounds(session: Session, *, case_ids: list[int]) -> dict[int, Message]:
    """Each case's first customer post, by case id."""
    found: dict[int, Message] = {}
    for chunk in _chunks(sorted(set(case_ids))):
        firsts = select(func.min(Message.id)).where(Message.case_id.in_(chunk), Message.direction == "in")
        rows = session.exec(select(Message).where(Message.id.in_(firsts.group_by(Message.case_id))))
        found.update((message.case_id, message) for message in rows)
    return found


def latest_inbound(session: Session, *, case_id: int) -> Message | None:
    return session.exec(
        select(Message).where(Message.case_id == case_id, Message.direction == "in").order_by(Message.id.desc())
    ).first()


def message_counts(session: Session, *, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(customer posts, public replies sent) of each case, by case id (a case with neither is left out)."""
    counts: dict[int, dict[str, int]] = {}
    for chunk in _chunks(sorted(set(case_ids))):
        rows = session.exec(
            select(Message.case_id, Message.direction, func.count())
            .where(Message.case_id.in_(chunk), or_(Message.direction == "in", Message.state == "sent"))
            .group_by(Message.case_id, Message.direction)
        )
        for case_id, direction, count in rows:
            counts.setdefault(case_id, {})[direction] = count
    return {case_id: (c.get("in", 0), c.get("out", 0)) for case_id, c in counts.items()}


CARD_EVENTS = ("claim", "unclaim", "resolve", "reopen", "reassign")


def last_event(session: Session, *, case_id: int) -> Event | None:
    return last_events(session, case_ids=[case_id]).get(case_id)


def last_events(session: Session, *, case_ids: list[int]) -> dict[int, Event]:
    """Each case's latest event of those a card tells (claim, unclaim, resolve, reopen, reassign), by case id."""
    found: dict[int, Event] = {}
    for chunk in _chunks(sorted(set(case_ids))):
        latest = (
            select(func.max(Event.id))
            .where(Event.case_id.in_(chunk), Event.kind.in_(CARD_EVENTS))
            .group_by(Event.case_id)
        )
        found.update((event.case_id, event) for event in session.exec(select(Event).where(Event.id.in_(latest))))
    return found


def unanswered_cases(session: Session) -> list[Case]:
    """Open or claimed cases in Slack with no public reply sent yet: the ones an SLA clock still runs for (not the
    tracked terms' cases, which cannot be answered from Slack)."""
    answered = select(Message.case_id).where(Message.direction == "out", Message.state == "sent")
    return list(
        session.exec(
            select(Case).where(
                Case.status.in_(("open", "claimed")),
                Case.thread_id.is_not(None),
                Case.id.not_in(answered),
                Case.kind != "term",
            )
        )
    )


def claimed_by(session: Session, *, owner: str, channel: str) -> list[Case]:
    return list(
        session.exec(select(Case).where(Case.owner == owner, Case.status == "claimed", Case.channel == channel))
    )


def threads_to_read_back(
    session: Session, *, active_since: datetime, opened_before: datetime, limit: int
) -> list[Case]:
    """Open and claimed cases in the chat, opened before `opened_before`, with something stored or done since
    `active_since`: the least recently read back first."""
    message_since = exists().where(Message.case_id == Case.id, Message.stored_at >= active_since)
    event_since = exists().where(Event.case_id == Case.id, Event.at >= active_since)
    return list(
        session.exec(
            select(Case)
            .where(
                Case.status.in_(("open", "claimed")),
                Case.thread_id.is_not(None),
                Case.opened_at < opened_before,
                or_(Case.opened_at >= active_since, message_since, event_since),
            )
            .order_by(Case.thread_read_until.is_not(None), Case.thread_read_until, Case.id)
            .limit(limit)
        )
    )


def mark_thread_read(session: Session, *, case_id: int, until: datetime) -> None:
    session.exec(update(Case).where(Case.id == case_id).values(thread_read_until=until))
