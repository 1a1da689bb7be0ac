"""social-stats [period] [@agent] and social-replies list | add NAME TEXT | remove NAME, typed to the bot in its
1:1 chat or in a new channel post that @mentions it (Teams' commandLists only suggest them: they arrive as text).
The answer is private: in the person's 1:1 chat with the bot. In a case thread the same words are a reply, not a
command. Saved replies that change something are clicks: recorded first, so a retried activity changes nothing."""

import asyncio
import logging
import re

from bot.chats.teams import digest_cards
from bot.domain.errors import ChatError, NotCounted, NotRecorded
from bot.domain.types import Click
from handlers.teams.errors import NotRecordedInTime

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^\s*/?(social-stats|social-replies)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
STATS_USAGE = (
    "Usage: social-stats [period] [@agent]. Period: today (the default), yesterday, 7d, 2026-11-01, "
    "2026-11-01..2026-11-15; @agent: mention them. For example: social-stats 7d @Ana"
)
REPLIES_USAGE = "Usage: social-replies list | social-replies add NAME TEXT | social-replies remove NAME"


def command_of(activity: dict, text: str) -> tuple[str, str] | None:
    """(command, its arguments) of a message outside any case thread."""
    conversation = (activity.get("conversation") or {}).get("id") or ""
    root = conversation.partition(";messageid=")[2]
    personal = (activity.get("conversation") or {}).get("conversationType") == "personal"
    if not personal and root and root != activity.get("id"):
        return None  # a reply in a thread: the thread's business, not a command
    match = COMMAND.match(text)
    return (match[1].lower(), match[2].strip()) if match else None


def mentioned_agent(activity: dict, bot_id: str | None) -> str | None:
    for entity in activity.get("entities") or ():
        mentioned = entity.get("mentioned") if isinstance(entity, dict) and entity.get("type") == "mention" else None
        if isinstance(mentioned, dict) and mentioned.get("id") != bot_id and mentioned.get("id"):
            return mentioned.get("aadObjectId") or mentioned["id"]
    return None


def stats(bridge, chat, args: str, agent: str | None) -> dict:
    words = [w for w in re.sub(r"<at>.*?</at>", " ", args).split() if not w.startswith("@")]
    if any(w.lower() in ("help", "?", "-h") for w in words) or len(words) > 1:
        return chat.notice_activity(STATS_USAGE)
    try:
        period = bridge.metrics.period(words[0] if words else None)
    except ValueError as err:
        return chat.notice_activity(f"{err}. {STATS_USAGE}")
    try:
        report = bridge.metrics.report(period, agent=agent)
    except NotCounted as err:
        log.error("social-stats not counted: %s", err.reason)
        return chat.notice_activity(NotCounted.told)
    return digest_cards.stats_card(report, chat.name_of)


def replies(bridge, chat, activity: dict, args: str, user: str) -> str:
    verb, _, rest = args.partition(" ")
    name, _, text = rest.strip().partition(" ")
    verb = verb.lower()
    if verb == "list" and not name:
        return bridge.saved.listing()
    if verb in ("add", "remove") and name and (verb == "add") == bool(text.strip()):
        click = Click(f"teams:{activity['id']}", f"saved_{verb}", user, choice=name, text=text.strip() or None)
        try:
            if not bridge.clicks.record(click):
                return ""  # a retry: done already, said already
        except NotRecorded as err:
            raise NotRecordedInTime(err.reason) from None
        return bridge.clicks.run(click).notice or "Done."
    return REPLIES_USAGE


async def handle(bridge, chat, activity: dict) -> bool:
    """Answer the message if it is a command (True); False leaves it to the thread handler."""
    command = command_of(activity, chat.without_bot(activity))
    if command is None:
        return False
    user = chat.people.saw(activity.get("from") or {})
    name, args = command
    if name == "social-stats":
        agent = mentioned_agent(activity, (activity.get("recipient") or {}).get("id"))
        shared = bridge.reports.submit(("teams", args, agent), lambda: stats(bridge, chat, args, agent))
        answer = await asyncio.shield(asyncio.wrap_future(shared))  # one asker given up cancels no one else's answer
    else:
        said = await asyncio.to_thread(replies, bridge, chat, activity, args, user)
        if not said:
            return True
        answer = chat.notice_activity(said)
    try:
        await asyncio.to_thread(chat.tell_activity, user, answer)
    except ChatError as err:
        log.warning("%s for %s not answered privately: %s", name, user, err.message)
    return True
