"""While a channel's backlog is longer than a minute, one message in it says how many wait and about how long until
they are shown; it is updated as the backlog moves (never said again), and says so once the backlog is shown."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.backlog import SAY_ABOVE, spoken_wait
from bot.domain.errors import ChatError
from bot.domain.notices import Icon, said
from bot.domain.ports import Chat
from storage import channel_status

log = logging.getLogger(__name__)

TOPIC = "backlog"
# A status is rewritten at most this often: the chat limits updates too (often about 50 a minute).
UPDATE_EVERY = timedelta(seconds=30)


class BacklogStatus:
    def __init__(self, session: Callable, chat: Chat, clock: Callable[[], datetime]):
        self.session, self.chat, self.clock = session, chat, clock

    def show(self, waiting: dict[str, int]) -> None:
        """`waiting`: how many messages wait to be shown, by channel (channels with none may be left out)."""
        with self.session(read_only=True) as s:
            shown = {row.channel: row for row in channel_status.of_topic(s, topic=TOPIC)}
        now = self.clock()
        for channel in sorted(set(waiting) | set(shown)):
            count, row = waiting.get(channel, 0), shown.get(channel)
            wait = timedelta(seconds=self.chat.seconds_for(channel, count))
            if wait > SAY_ABOVE:
                if row is None or now - row.updated_at >= UPDATE_EVERY:
                    self._say(channel, row, _waiting(count, wait), now)
            elif row is not None:
                self._say(channel, row, _caught_up(count), now, last=True)

    def _say(self, channel: str, row, text, now: datetime, *, last: bool = False) -> None:
        if row is not None and row.text == text.plain and not last:
            return
        try:
            if row is None:
                message_id = self.chat.post_status(channel, text)
            else:
                message_id = row.message_id
                self.chat.update_status(channel, message_id, text)
        except ChatError as err:
            log.warning("the backlog's status in %s was not said: %s", channel, err)
            return
        with self.session() as s:
            if last:
                channel_status.drop(s, channel=channel, topic=TOPIC)
            else:
                channel_status.put(s, channel=channel, topic=TOPIC, message_id=message_id, text=text.plain, at=now)


def _waiting(count: int, wait: timedelta):
    return said(
        Icon("hourglass_flowing_sand"),
        f" {count:,} messages are waiting to be shown here, more than the chat takes at once: {spoken_wait(wait)} "
        "until the last of them is. Follow-ups of open and claimed cases go first, then new cases with the most "
        "followers; this message is kept up to date.",
    )


def _caught_up(count: int):
    left = f" ({count} left, within a minute)" if count else ""
    return said(Icon("white_check_mark"), f" The backlog is shown{left}: new messages appear as they come.")
