"""Cases, their messages and events: ingest, mirroring, the card and the claim state machine."""

from datetime import datetime

from sqlalchemy import case, exists, func, insert, or_, update
from sqlmodel import Session, select

from storage.models import Case, Event, Message


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


def reopen_on_customer_post(session: Session, *, case_id: int) -> bool:
    """A resolved case comes back to its owner (claimed by them), or open when nobody owned it; True when it did."""
    result = session.exec(
        update(Case)
        .where(Case.id == case_id, Case.status == "resolved")
        .values(
            status=case((Case.owner.is_(None), "open"), else_="claimed"),
            resolved_at=None,
            card_rev=Case.card_rev + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


CHUNK = 500  # values bound in one IN (...): well under every database's limit


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


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
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, rows).scalars())


def add_messages(session: Session, rows: list[dict]) -> None:
    """Insert messages together, without reading them back."""
    if rows:
        session.connection().execute(insert(Message.__table__), rows)


def owner_told_of_reopening(session: Session, *, message: Message) -> str | None:
    """The owner a customer's post gave a resolved case back to, when this post is the one that reopened it: the
    reopening is recorded with the post, at the moment the post was stored, naming the owner it kept."""
    owner = session.scalar(
        select(Event.detail).where(
            Event.case_id == message.case_id,
            Event.kind == "reopen",
            Event.at == message.stored_at,
            Event.actor == f"customer:{message.author_id}",
            Event.detail.is_not(None),
        )
    )
    if owner is None:
        return None
    first = session.scalar(
        select(func.min(Message.id)).where(
            Message.case_id == message.case_id, Message.direction == "in", Message.stored_at == message.stored_at
        )
    )
    return owner if first == message.id else None


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


def set_mirrored(session: Session, *, message_id: int, mirror_id: str) -> None:
    session.exec(update(Message).where(Message.id == message_id).values(mirror_id=mirror_id))


def set_case_thread(session: Session, *, case_id: int, channel: str, thread_id: str, synced_rev: int) -> None:
    session.exec(
        update(Case).where(Case.id == case_id).values(channel=channel, thread_id=thread_id, card_synced_rev=synced_rev)
    )


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


def first_inbound(session: Session, *, case_id: int) -> Message | None:
    return session.exec(
        select(Message).where(Message.case_id == case_id, Message.direction == "in").order_by(Message.id)
    ).first()


def latest_inbound(session: Session, *, case_id: int) -> Message | None:
    return session.exec(
        select(Message).where(Message.case_id == case_id, Message.direction == "in").order_by(Message.id.desc())
    ).first()


def message_counts(session: Session, *, case_id: int) -> tuple[int, int]:
    """(customer posts, public replies sent) of a case."""
    rows = session.exec(
        select(Message.direction, func.count())
        .where(
            Message.case_id == case_id,
            or_(Message.direction == "in", Message.state == "sent"),
        )
        .group_by(Message.direction)
    )
    counts = {direction: count for direction, count in rows.all()}
    return counts.get("in", 0), counts.get("out", 0)


def last_event(session: Session, *, case_id: int) -> Event | None:
    return session.exec(
        select(Event)
        .where(Event.case_id == case_id, Event.kind.in_(("claim", "unclaim", "resolve", "reopen", "reassign")))
        .order_by(Event.id.desc())
    ).first()


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
