"""A person's message in a case thread: recorded before Teams hears 202, then the slow part (the reply on X, what
the author is told) on a listener thread.

Without the resource-specific permission ChannelMessage.Read.Group, only messages that @mention the bot arrive; the
mention is taken out of the text that goes public (bot/chats/teams/text.py)."""

import asyncio
import logging

from microsoft_agents.activity import ActivityTypes

from bot.domain.errors import NotRecorded
from handlers.teams import commands
from handlers.teams.errors import NotRecordedInTime

log = logging.getLogger(__name__)


def register(app, bridge, chat, pool) -> None:
    @app.activity(ActivityTypes.message)
    async def on_message(context, state):
        activity = context.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        if await commands.handle(bridge, chat, activity):
            return
        message = chat.chat_message(activity)
        if message is None:
            return
        try:
            received = await asyncio.to_thread(bridge.replies.record, message, on_request=True)
        except NotRecorded as err:
            log.warning("thread message %s not recorded (%s): answered 500", message.message_id, err.reason)
            raise NotRecordedInTime(err.reason) from None
        if received.verdict != "duplicate":
            pool.submit(bridge.replies.follow_up, received)
        log.debug("thread message %s: %s", message.message_id, received.verdict)
