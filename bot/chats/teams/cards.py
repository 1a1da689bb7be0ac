"""Adaptive Cards (schema 1.5, what Teams renders): pure functions from neutral views to card JSON.

What people wrote is in TextRuns (shown literally, see text.py). Buttons are `Action.Execute` (Universal Actions):
a click is an `adaptiveCard/action` invoke whose data names the verb and the case. Each card's first element has
the id `social-message-<id>` of the message it mirrors, so a card whose posting answer was lost can be found again
among the channel's messages (bot/chats/teams/chat.py, find_mirror).

Teams refuses a message over about 28 KB: a card's post is cut so that the whole activity stays within
MESSAGE_BUDGET, and `case_card(..., compact=True)` is the smaller card shown should Teams refuse the full one.
"""

import json
from collections.abc import Callable
from datetime import datetime

from bot.chats.teams.text import cut, link, run, runs
from bot.domain.notices import Words
from bot.domain.types import CardView, ThreadPost
from bot.domain.wording import plural

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_BUDGET = 24_000  # bytes of a whole activity's JSON: Teams' ~28 KB, less the envelope the connector adds
POST_LIMIT = 10_000
COMPACT_POST = 500
MARKER = "social-message-"

STATUS = {"open": "🟢 Open — unclaimed", "claimed": "🙋 Claimed by {owner}", "resolved": "✅ Resolved{by}"}


def size(activity: dict) -> int:
    return len(json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode())


def card(body: list[dict], actions: list[dict] | None = None, *, marker: int | None = None) -> dict:
    if marker is not None and body:
        body[0] = {**body[0], "id": f"{MARKER}{marker}"}
    content = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        content["actions"] = actions
    return content


def attachment(content: dict) -> dict:
    return {"contentType": CARD_TYPE, "content": content}


def message(content: dict, summary: str) -> dict:
    """A message activity carrying one card; `summary` is what a notification shows."""
    return {"type": "message", "summary": cut(summary, 300), "attachments": [attachment(content)]}


def rich(*items: dict, **options) -> dict:
    return {"type": "RichTextBlock", "inlines": list(items), **options}


def small(*items: dict) -> dict:
    return rich(*({**i, "size": "small", "isSubtle": True} for i in items), spacing="small")


def button(title: str, verb: str, case_id: int, style: str | None = None, **data) -> dict:
    action = {"type": "Action.Execute", "title": title, "verb": verb, "data": {"verb": verb, "case": case_id, **data}}
    if style:
        action["style"] = style
    return action


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def marker_of(content: dict) -> int | None:
    """The message id a card says it mirrors."""
    body = content.get("body") if isinstance(content, dict) else None
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    marker = str(first.get("id") or "")
    number = marker.removeprefix(MARKER)
    return int(number) if marker.startswith(MARKER) and number.isdigit() else None


def author_runs(name: str, handle: str, profile_url: str, followers, location) -> list[dict]:
    items = [run(cut(name or handle, 200), weight="bolder"), run("  "), link("@" + cut(handle, 100), profile_url)]
    if followers is not None:
        items.append(run(f" · {followers:,} followers"))
    if location:
        items.append(run(f" · 📍 {cut(location, 200)}"))
    return items


def status_line(view: CardView, name_of: Callable[[str], str]) -> str:
    owner = name_of(view.owner) if view.owner else "nobody"
    by = f" by {name_of(view.last_actor)}" if view.last_action == "resolve" and view.last_actor else ""
    line = STATUS[view.status].format(owner=owner, by=by)
    if view.status != "resolved" and view.last_action == "reopen":
        line = "🔄 Reopened — " + ("unclaimed" if view.status == "open" else f"claimed by {owner}")
    counts = f"{plural(view.messages, 'post')} · {plural(view.replies, 'public reply', 'public replies')}"
    return f"{line} · {counts}"


def _picker(title: str, input_id: str, verb: str, case_id: int, choices: list[dict], placeholder: str) -> dict:
    picker = {"type": "Input.ChoiceSet", "id": input_id, "choices": choices, "placeholder": placeholder}
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": [picker],
            "actions": [button("Send" if verb == "saved_reply" else "Hand over", verb, case_id)],
        },
    }


def case_buttons(view: CardView, *, compact: bool = False, name_of: Callable[[str], str] | None = None) -> list[dict]:
    if view.status == "open":
        return [button("Claim", "claim", view.case_id, "positive"), button("Resolve", "resolve", view.case_id)]
    if view.status == "claimed":
        actions = [button("Unclaim", "unclaim", view.case_id), button("Resolve", "resolve", view.case_id, "positive")]
        if view.reassign_to and not compact:  # the team is known: its agents but the owner, by name
            choices = [{"title": cut((name_of or str)(u), 75), "value": u} for u in view.reassign_to[:100]]
            actions.append(_picker("Reassign to…", "reassign_to", "reassign", view.case_id, choices, "An agent"))
        if view.saved_replies and not compact:
            choices = [{"title": cut(n, 75), "value": n} for n in view.saved_replies[:100]]
            actions.append(_picker("Saved reply…", "saved_reply", "saved_reply", view.case_id, choices, "A reply"))
        return actions
    return [button("Reopen", "reopen", view.case_id)]


def source_runs(view: CardView) -> list[dict]:
    moment, campaign = when(view.first_post_at), cut(view.campaign, 200)
    if view.kind == "dm":
        return [run(f"🔒 Private · direct message to @{cut(view.account_handle, 100)} · {moment} · {campaign}")]
    shown = link(f"View on {view.network}", view.post_url)
    if view.kind == "term":
        return [shown, run(f" · {moment} · tracked term · {campaign}")]
    return [shown, run(f" · {moment} · to @{cut(view.account_handle, 100)} · {campaign}")]


def case_card(
    view: CardView, name_of: Callable[[str], str], *, compact: bool = False, note: Words | None = None
) -> dict:
    """The message activity of a case's card; `note`: a line only the person who clicked sees (their view)."""
    c = view.customer
    what = {
        "term": f"Post from @{c.handle} matching a tracked term ({view.campaign})",
        "dm": f"Direct message from @{c.handle} to @{view.account_handle}",
    }.get(view.kind, f"Mention from @{c.handle} to @{view.account_handle}")

    def drawn(post_limit: int) -> dict:
        body = [
            rich(*author_runs(c.name, c.handle, view.profile_url, c.followers, c.location)),
            rich(run(cut(view.first_post_text, post_limit)), spacing="medium"),
            small(*source_runs(view)),
        ]
        if view.read_only:
            body.append(small(run(f"👀 Read-only · {cut(view.read_only, 1000)}")))
        if compact:
            body.append(small(run("✂️ Shortened: Teams refused the full card.")))
        body.append(rich(run(status_line(view, name_of), weight="bolder"), spacing="medium"))
        if note:
            body.append(rich(*runs(note, name_of), spacing="small", separator=True))
        content = card(body, case_buttons(view, compact=compact, name_of=name_of), marker=view.first_message_id)
        return message(content, f"{what}: {view.first_post_text}")

    limit = COMPACT_POST if compact else POST_LIMIT
    activity = drawn(limit)
    while size(activity) > MESSAGE_BUDGET and limit > 100:
        limit = limit * 2 // 3
        activity = drawn(limit)
    return activity


def thread_post(post: ThreadPost, name_of: Callable[[str], str]) -> dict:
    c = post.customer
    body = [
        rich(run(cut(c.name or c.handle, 200), weight="bolder"), run(f"  @{cut(c.handle, 100)}")),
        rich(run(cut(post.text, POST_LIMIT))),
        small(
            link("View post", post.post_url) if post.post_url else run("🔒 Direct message"),
            run(f" · {when(post.posted_at)}"),
        ),
    ]
    if post.reopened_for:
        body.append(
            rich(
                run(name_of(post.reopened_for), weight="bolder"),
                run(
                    f": @{c.handle} wrote again, so the case is reopened and still yours. If someone else should take "
                    "it, Unclaim it; until then any agent can take it over."
                ),
            )
        )
    return message(card(body, marker=post.message_id), f"@{c.handle}: {post.text}")


def notice(text: Words, name_of: Callable[[str], str], *, undo_reply_id: int | None = None, choices=()) -> dict:
    """A notice in a thread or a 1:1 chat, with an Undo button in a reply's undo window, or the choices asked."""
    actions = [button("Undo", "reply_undo", 0, "destructive", reply=undo_reply_id)] if undo_reply_id else []
    actions += [button(label, verb, 0, reply=value) for label, verb, value in choices]
    content = card([rich(*runs(text, name_of))], actions)
    return message(content, "".join(r["text"] for r in runs(text, name_of)))


def invoke_card(activity: dict) -> dict:
    """The invoke response that replaces the clicker's view with this card."""
    return {"statusCode": 200, "type": CARD_TYPE, "value": activity["attachments"][0]["content"]}


def invoke_message(text: str) -> dict:
    """An invoke response that shows the clicker a short message (Teams shows it as a toast)."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
