"""What a case card and a thread post show, read from the stored case."""

from bot.domain.sources import DM, READ_ONLY_REASON, TERM, dm_network
from bot.domain.states import CaseStatus
from bot.domain.types import Author, CardView, ThreadPost
from storage import cases, saved_replies
from storage.models import Case, Message


def author_of(message: Message) -> Author:
    return Author(
        id=message.author_id,
        handle=message.author_handle,
        name=message.author_name,
        followers=message.author_followers,
        location=message.author_location,
    )


def card_view(
    session, network, case: Case, account_handle: str, team: list[str] | None = None, *, chat_name: str
) -> CardView:
    """`team`: the team's agents, when it is set (see Agents.team); `chat_name`: the chat the card is shown in."""
    return card_views(session, [(case, network, account_handle)], team, chat_name=chat_name)[case.id]


def card_views(
    session, drawn: list[tuple[Case, object, str]], team: list[str] | None = None, *, chat_name: str
) -> dict[int, CardView]:
    """card_view for several cases, each with its network and account handle, read together: by case id."""
    ids = [case.id for case, _, _ in drawn]
    firsts = cases.first_inbounds(session, case_ids=ids)
    counts = cases.message_counts(session, case_ids=ids)
    lasts = cases.last_events(session, case_ids=ids)
    offers_saved = any(case.status == CaseStatus.CLAIMED and case.kind != TERM for case, _, _ in drawn)
    saved = tuple(saved_replies.all_names(session)) if offers_saved else ()
    views = {}
    for case, network, account_handle in drawn:
        first, last = firsts[case.id], lasts.get(case.id)
        inbound, replies = counts.get(case.id, (0, 0))
        views[case.id] = CardView(
            case_id=case.id,
            status=case.status,
            owner=case.owner,
            network=network.display_name,
            account_handle=account_handle,
            customer=author_of(first),
            first_post_id=first.post_id,
            first_post_text=first.text,
            first_post_at=first.posted_at,
            post_url="" if case.kind == DM else network.post_url(first.author_handle, first.post_id),
            profile_url=network.profile_url(first.author_handle),
            campaign=case.campaign,
            messages=inbound,
            replies=replies,
            last_actor=last.actor if last else None,
            last_action=last.kind if last else None,
            first_message_id=first.id,
            saved_replies=saved if case.status == CaseStatus.CLAIMED and case.kind != TERM else (),
            kind=case.kind,
            read_only=read_only_reason(network, chat_name) if case.kind == TERM else None,
            reassign_to=tuple(u for u in team if u != case.owner)
            if team is not None and case.status == CaseStatus.CLAIMED
            else None,
        )
    return views


def read_only_reason(network, chat_name: str) -> str:
    return READ_ONLY_REASON.format(network=network.display_name, chat=chat_name)


def thread_post(network, message: Message, reopened_for: str | None = None) -> ThreadPost:
    return ThreadPost(
        case_id=message.case_id,
        message_id=message.id,
        customer=author_of(message),
        text=message.text,
        posted_at=message.posted_at,
        post_url=""
        if message.network == dm_network(network.name)
        else network.post_url(message.author_handle, message.post_id),
        reopened_for=reopened_for,
    )
