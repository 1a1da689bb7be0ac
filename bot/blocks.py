"""Block Kit builders: pure functions from neutral views to (fallback text, blocks, metadata)."""

from datetime import datetime

from bot.domain.types import CardView, ThreadPost
from bot.domain.wording import plural

SECTION_LIMIT = 3000
ACTIONS_BLOCK = "case_actions"
CASE_EVENT = "social_case"
MESSAGE_EVENT = "social_message"

STATUS_LINE = {
    "open": ":large_green_circle: *Open* — unclaimed",
    "claimed": ":raising_hand: *Claimed* by {owner}",
    "resolved": ":white_check_mark: *Resolved*{by}",
}


REOPENED_FOR = (
    ":arrows_counterclockwise: {owner}: @{handle} wrote again, so the case is reopened and still yours. "
    "If someone else should take it, *Unclaim* it or pick them in *Reassign to…*; until then any agent can take it "
    "over with *Reassign to…*."
)


def escape(text: str) -> str:
    """Slack mrkdwn control characters; customer text must never become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def quote(text: str) -> str:
    return "\n".join("> " + line for line in escape(text).splitlines() or [""])


def author_line(name: str, handle: str, profile_url: str, followers: int | None, location: str | None) -> str:
    parts = [f"*{escape(name or handle)}* <{profile_url}|@{escape(handle)}>"]
    if followers is not None:
        parts.append(f"{followers:,} followers")
    if location:
        parts.append(f":round_pushpin: {escape(location)}")
    return " · ".join(parts)


def button(text: str, action_id: str, case_id: int, style: str | None = None) -> dict:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": str(case_id),
    }
    if style:
        element["style"] = style
    return element


def reassign_picker() -> dict:
    return {
        "type": "users_select",
        "action_id": "case_reassign",
        "placeholder": {"type": "plain_text", "text": "Reassign to…"},
    }


def saved_reply_menu(names: tuple[str, ...]) -> dict:
    return {
        "type": "static_select",
        "action_id": "case_saved_reply",
        "placeholder": {"type": "plain_text", "text": "Saved reply…"},
        "options": [{"text": {"type": "plain_text", "text": n[:75]}, "value": n} for n in names[:100]],
    }


def case_buttons(card: CardView) -> list[dict]:
    if card.status == "open":
        return [
            button("Claim", "case_claim", card.case_id, "primary"),
            button("Resolve", "case_resolve", card.case_id),
        ]
    if card.status == "claimed":
        elements = [
            button("Unclaim", "case_unclaim", card.case_id),
            button("Resolve", "case_resolve", card.case_id, "primary"),
            reassign_picker(),
        ]
        if card.saved_replies:
            elements.append(saved_reply_menu(card.saved_replies))
        return elements
    return [button("Reopen", "case_reopen", card.case_id)]


def status_line(card: CardView) -> str:
    owner = f"<@{card.owner}>" if card.owner else "nobody"
    by = f" by <@{card.last_actor}>" if card.last_action == "resolve" and card.last_actor else ""
    line = STATUS_LINE[card.status].format(owner=owner, by=by)
    if card.status != "resolved" and card.last_action == "reopen":
        who = "unclaimed" if card.status == "open" else f"claimed by {owner}"
        line = f":arrows_counterclockwise: *Reopened* — {who}"
    counts = f"{plural(card.messages, 'post')} · {plural(card.replies, 'public reply', 'public replies')}"
    return f"{line} · {counts}"


def case_card(card: CardView) -> tuple[str, list[dict], dict]:
    c = card.customer
    what = {
        "term": f"Post from @{c.handle} matching a tracked term ({card.campaign})",
        "dm": f"Direct message from @{c.handle} to @{card.account_handle}",
    }.get(card.kind, f"Mention from @{c.handle} to @{card.account_handle}")
    text = clip(f"{what}: {card.first_post_text}", 300)
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(author_line(c.name, c.handle, card.profile_url, c.followers, c.location)),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(quote(card.first_post_text))}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": source_line(card)}]},
        *(
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": read_only_line(card)}]}]
            if card.read_only
            else []
        ),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": status_line(card)}]},
        {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": case_buttons(card)},
    ]
    metadata = {
        "event_type": CASE_EVENT,
        "event_payload": {"case_id": card.case_id, "message_id": card.first_message_id},
    }
    return text, blocks, metadata


def source_line(card: CardView) -> str:
    """Where the case comes from: a public post (linked), a tracked term, or a private message (never linked)."""
    moment, campaign = when(card.first_post_at), escape(card.campaign)
    if card.kind == "dm":
        return f":lock: *Private* · direct message to @{escape(card.account_handle)} · {moment} · {campaign}"
    link = f"<{card.post_url}|View on {card.network.upper()}>"
    if card.kind == "term":
        return f"{link} · {moment} · tracked term · {campaign}"
    return f"{link} · {moment} · to @{escape(card.account_handle)} · {campaign}"


def read_only_line(card: CardView) -> str:
    network = card.network.upper()
    return (
        f":eyes: *Read-only* · {escape(card.read_only)} Answer it on {network} if needed: <{card.post_url}|the post>."
    )


def thread_post(post: ThreadPost) -> tuple[str, list[dict], dict]:
    c = post.customer
    text = clip(f"@{c.handle}: {post.text}", 300)
    reopened = []
    if post.reopened_for:
        told = REOPENED_FOR.format(owner=f"<@{post.reopened_for}>", handle=escape(c.handle))
        text = clip(f"<@{post.reopened_for}> @{c.handle} wrote again, the case is yours again: {post.text}", 300)
        reopened = [{"type": "context", "elements": [{"type": "mrkdwn", "text": told}]}]
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(f"*{escape(c.name or c.handle)}* @{escape(c.handle)}\n{quote(post.text)}"),
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": (f"<{post.post_url}|View post>" if post.post_url else ":lock: Direct message")
                    + f" · {when(post.posted_at)}",
                }
            ],
        },
        *reopened,
    ]
    metadata = {
        "event_type": MESSAGE_EVENT,
        "event_payload": {"case_id": post.case_id, "message_id": post.message_id},
    }
    return text, blocks, metadata


def notice(text: str, undo_reply_id: int | None) -> list[dict]:
    """A reply's notice in the thread; with an Undo button while it waits in its undo window."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}
    if undo_reply_id is None:
        return [section]
    undo = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Undo"},
        "action_id": "reply_undo",
        "value": str(undo_reply_id),
        "style": "danger",
    }
    return [section, {"type": "actions", "block_id": "reply_actions", "elements": [undo]}]


def question(text: str, choices: list[tuple[str, str, int]]) -> list[dict]:
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action, "value": str(value)}
        for label, action, value in choices
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}},
        {"type": "actions", "block_id": "reply_question", "elements": buttons},
    ]
