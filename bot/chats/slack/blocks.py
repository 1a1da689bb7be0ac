"""Block Kit builders: pure functions from neutral views to (fallback text, blocks, metadata).

Text in a view is plain (a customer's post, a name, a campaign): it is made literal here, once, in the blocks and in
the fallback `text` alike (Slack renders both as mrkdwn, and a notification shows the `text` alone), and it is cut
*before* it is escaped, so an entity (`&amp;`) is never cut in half. Notices arrive from the domain as mrkdwn (its
mentions, the customer's parts already literal): they are only cut, never inside an entity, a mention or a link.

Slack refuses a message whose blocks come to about 12–13k characters in all (`msg_blocks_too_long`), whatever each
block's own limit: every message here stays within MESSAGE_BUDGET. A card's post is cut to its section's limit and
its menus carry the options that fit; `case_card(..., compact=True)` is the smaller card shown when Slack refuses
the full one anyway. Buttons and menus carry their case in their `value` or their block's `block_id`, which Slack
always sends back with a click (message metadata it does not).
"""

import json
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime

from bot.chats.slack.action_ids import REPLY_ACTION_IDS
from bot.chats.slack.markup import literal, quoted
from bot.chats.slack.markup import literal as escape  # noqa: F401  (the digests' builders escape with it)
from bot.domain.types import CardView, ThreadPost
from bot.domain.verbs import Verb
from bot.domain.wording import plural

SECTION_LIMIT = 3000
MESSAGE_BUDGET = 10_000
COMPACT_POST = 500  # how much of the post a shortened card quotes
TEAM_MENU_ROOM = 3_000  # the most of a card's budget the Reassign menu of the team's agents may take
MAX_OPTIONS = 100
OPTION_TEXT = 75
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


def size(blocks) -> int:
    """A message's blocks as Slack's total cap counts them (at most: their compact JSON)."""
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def clip(markup: str, limit: int = SECTION_LIMIT) -> str:
    """mrkdwn cut to `limit` characters, "…" included, never inside an entity (`&amp;`), a mention or a link."""
    if len(markup) <= limit:
        return markup
    cut = markup[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut + "…"


def fitted(text: str, render: Callable[[str], str], limit: int) -> str:
    """render(text), or render() of the longest start of `text` (with "…") that comes to `limit` characters at
    most: plain text is cut before it is rendered (escaped, quoted), so no entity is ever cut in half."""
    whole = render(text)
    if len(whole) <= limit:
        return whole
    shortest, longest = 0, len(text)
    while shortest < longest:  # a longer start never renders shorter: search for the longest that fits
        middle = (shortest + longest + 1) // 2
        if len(render(text[:middle] + "…")) <= limit:
            shortest = middle
        else:
            longest = middle - 1
    return render(text[:shortest] + "…")


def shown(text: str, limit: int = SECTION_LIMIT) -> str:
    """Plain text made literal, cut to fit `limit` once escaped."""
    return fitted(text, literal, limit)


def quote(text: str, limit: int = SECTION_LIMIT) -> str:
    return fitted(text, quoted, limit)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def author_line(name: str, handle: str, profile_url: str, followers: int | None, location: str | None) -> str:
    parts = [f"*{shown(name or handle, 200)}* <{profile_url}|@{shown(handle, 100)}>"]
    if followers is not None:
        parts.append(f"{followers:,} followers")
    if location:
        parts.append(f":round_pushpin: {shown(location, 200)}")
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


def _options(pairs, room: int) -> list[dict]:
    """As many options (label, value), in order, as Slack allows and `room` characters hold."""
    options, used = [], 0
    for label, value in pairs:
        item = {"text": {"type": "plain_text", "text": label[:OPTION_TEXT] or value}, "value": value}
        used += size(item) + 1
        if used > room or len(options) == MAX_OPTIONS:
            break
        options.append(item)
    return options


def reassign_picker(card: CardView, names: Mapping[str, str], room: int) -> dict:
    """The team's agents but the owner, by name, when the team is known and fits; else Slack's picker of anyone
    in the workspace (which cannot leave the owner out: picking them is refused in plain words)."""
    placeholder = {"type": "plain_text", "text": "Reassign to…"}
    team = [(names.get(user) or user, user) for user in card.reassign_to or ()]
    options = _options(team, min(room, TEAM_MENU_ROOM)) if team else []
    if team and len(options) == len(team):
        return {"type": "static_select", "action_id": "case_reassign", "placeholder": placeholder, "options": options}
    return {"type": "users_select", "action_id": "case_reassign", "placeholder": placeholder}


def saved_reply_menu(names: tuple[str, ...], room: int) -> dict | None:
    options = _options(((n, n) for n in names), room - 200)  # 200: the menu's own fields
    if not options:
        return None
    placeholder = "Saved reply…"
    if len(options) < len(names):
        placeholder = f"Saved reply… (the first {len(options)} of {len(names)}; /reply NAME sends any)"
    return {
        "type": "static_select",
        "action_id": "case_saved_reply",
        "placeholder": {"type": "plain_text", "text": placeholder},
        "options": options,
    }


def case_buttons(card: CardView, *, names: Mapping[str, str], room: int, compact: bool = False) -> list[dict]:
    if card.status == "open":
        return [
            button("Claim", "case_claim", card.case_id, "primary"),
            button("Resolve", "case_resolve", card.case_id),
        ]
    if card.status == "claimed":
        elements = [
            button("Unclaim", "case_unclaim", card.case_id),
            button("Resolve", "case_resolve", card.case_id, "primary"),
        ]
        elements.append(reassign_picker(card, {} if compact else names, room - size(elements)))
        menu = (
            saved_reply_menu(card.saved_replies, room - size(elements)) if card.saved_replies and not compact else None
        )
        return elements + ([menu] if menu else [])
    return [button("Reopen", "case_reopen", card.case_id)]


def case_of_block(block_id) -> int | None:
    """The case a card's actions block belongs to (its block_id is `case_actions:<case id>:<drawing>`)."""
    prefix, _, rest = str(block_id or "").partition(":")
    case_id = rest.partition(":")[0]
    if prefix != ACTIONS_BLOCK or not (case_id.isascii() and case_id.isdigit() and len(case_id) < 12):
        return None
    return int(case_id)


def status_line(card: CardView) -> str:
    owner = f"<@{card.owner}>" if card.owner else "nobody"
    by = f" by <@{card.last_actor}>" if card.last_action == "resolve" and card.last_actor else ""
    line = STATUS_LINE[card.status].format(owner=owner, by=by)
    if card.status != "resolved" and card.last_action == "reopen":
        who = "unclaimed" if card.status == "open" else f"claimed by {owner}"
        line = f":arrows_counterclockwise: *Reopened* — {who}"
    counts = f"{plural(card.messages, 'post')} · {plural(card.replies, 'public reply', 'public replies')}"
    return f"{line} · {counts}"


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def case_card(card: CardView, *, names: Mapping[str, str] | None = None, compact: bool = False):
    """(fallback text, blocks, metadata) of a case's card; `names`: the labels of the agents of `reassign_to`."""
    c = card.customer
    what = {
        "term": f"Post from @{c.handle} matching a tracked term ({card.campaign})",
        "dm": f"Direct message from @{c.handle} to @{card.account_handle}",
    }.get(card.kind, f"Mention from @{c.handle} to @{card.account_handle}")
    text = fitted(card.first_post_text, lambda post: literal(f"{what}: {post}"), 300)
    post = quote(card.first_post_text, COMPACT_POST if compact else SECTION_LIMIT)
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(author_line(c.name, c.handle, card.profile_url, c.followers, c.location)),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": post}},
        _context(source_line(card)),
        *([_context(read_only_line(card))] if card.read_only else []),
        *([_context(SHORTENED)] if compact else []),
        _context(status_line(card)),
    ]
    # Slack asks for a new block_id whenever a message changes (its menus then show their placeholder again).
    drawn = zlib.crc32(json.dumps([blocks, card.saved_replies, card.reassign_to]).encode())
    actions = {"type": "actions", "block_id": f"{ACTIONS_BLOCK}:{card.case_id}:{drawn:08x}", "elements": []}
    room = MESSAGE_BUDGET - size([*blocks, actions])
    actions["elements"] = case_buttons(card, names=names or {}, room=room, compact=compact)
    metadata = {
        "event_type": CASE_EVENT,
        "event_payload": {"case_id": card.case_id, "message_id": card.first_message_id},
    }
    return text, [*blocks, actions], metadata


SHORTENED = ":scissors: Shortened: Slack refused the full card. Saved replies: `/reply NAME` in this channel."


def source_line(card: CardView) -> str:
    """Where the case comes from: a public post (linked), a tracked term, or a private message (never linked)."""
    moment, campaign = when(card.first_post_at), shown(card.campaign, 200)
    if card.kind == "dm":
        return f":lock: *Private* · direct message to @{shown(card.account_handle, 100)} · {moment} · {campaign}"
    link = f"<{card.post_url}|View on {card.network}>"
    if card.kind == "term":
        return f"{link} · {moment} · tracked term · {campaign}"
    return f"{link} · {moment} · to @{shown(card.account_handle, 100)} · {campaign}"


def read_only_line(card: CardView) -> str:
    network = card.network
    why = shown(card.read_only, 1000)
    return f":eyes: *Read-only* · {why} Answer it on {network} if needed: <{card.post_url}|the post>."


def thread_post(post: ThreadPost) -> tuple[str, list[dict], dict]:
    c = post.customer
    text = fitted(post.text, lambda t: literal(f"@{c.handle}: {t}"), 300)
    head = f"*{shown(c.name or c.handle, 200)}* @{shown(c.handle, 100)}\n"
    reopened = []
    if post.reopened_for:
        told = REOPENED_FOR.format(owner=f"<@{post.reopened_for}>", handle=literal(c.handle))
        text = f"<@{post.reopened_for}> " + fitted(
            post.text, lambda t: literal(f"@{c.handle} wrote again, the case is yours again: {t}"), 280
        )
        reopened = [_context(told)]
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": fitted(post.text, lambda t: head + quoted(t), SECTION_LIMIT)},
        },
        _context(
            (f"<{post.post_url}|View post>" if post.post_url else ":lock: Direct message")
            + f" · {when(post.posted_at)}"
        ),
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
        "action_id": REPLY_ACTION_IDS[Verb.UNDO],
        "value": str(undo_reply_id),
        "style": "danger",
    }
    return [section, {"type": "actions", "block_id": "reply_actions", "elements": [undo]}]


def question(text: str, choices: list[tuple[str, Verb, int]]) -> list[dict]:
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "action_id": REPLY_ACTION_IDS[verb],
            "value": str(value),
        }
        for label, verb, value in choices
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}},
        {"type": "actions", "block_id": "reply_question", "elements": buttons},
    ]


def within_budget(blocks: list[dict], budget: int = MESSAGE_BUDGET) -> list[dict]:
    """A message of many lines (a digest, /social-stats) cut to the budget: its longest sections lose their ends."""
    blocks = json.loads(json.dumps(blocks))
    while (excess := size(blocks) - budget) > 0:
        sections = [b for b in blocks if b.get("type") == "section" and isinstance(b.get("text"), dict)]
        longest = max(sections, key=lambda b: len(b["text"]["text"]), default=None)
        if longest is None or len(longest["text"]["text"]) <= 200:
            if len(blocks) == 1:
                return blocks
            blocks = blocks[:-1]
            continue
        text = longest["text"]["text"]
        longest["text"]["text"] = clip(text, max(200, len(text) - excess))
    return blocks
