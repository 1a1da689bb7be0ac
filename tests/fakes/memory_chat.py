"""An in-memory Chat for domain tests: it records what the domain posts, as neutral values (what is said as the
domain's Said parts, never rendered), and answers with made-up message ids."""

import math
from itertools import count

from bot.domain.notices import Said


class MemoryChat:
    name = "the chat"

    def __init__(self):
        self._ts = count(1)
        self.cards: dict[tuple[str, str], object] = {}  # (channel, ts) -> the latest CardView
        self.thread: dict[tuple[str, str], list] = {}  # (channel, thread ts) -> what was posted there, in order
        self.told: list[tuple[str, str, Said | str]] = []  # (channel, user, what was said), private
        self.said: list[tuple[str, Said | str]] = []  # (channel, what was said), in the channel

    def _new_ts(self) -> str:
        return f"{next(self._ts)}.000100"

    def post_card(self, channel, card):
        ts = self._new_ts()
        self.cards[(channel, ts)] = card
        self.thread[(channel, ts)] = []
        return channel, ts

    def update_card(self, channel, ts, card):
        self.cards[(channel, ts)] = card

    def alert(self, channel, thread_id, alert):
        self.thread[(channel, thread_id)].append(alert)

    def post_in_thread(self, channel, thread_id, post):
        self.thread[(channel, thread_id)].append(post)
        return self._new_ts()

    def find_mirror(self, channel, thread_id, message_id, since):
        return None

    def say_in_thread(self, channel, thread_id, text):
        self.thread[(channel, thread_id)].append(text)

    def thread_messages(self, channel, thread_id, *, oldest, latest):
        return []

    def tell(self, channel, user, text, thread_id=None):
        self.told.append((channel, user, text))

    def say_in_channel(self, channel, text):
        self.said.append((channel, text))

    def seconds_for(self, channel, count):
        return float(count)  # a message a second, as Slack

    def posts_within(self, channel, seconds):
        return math.ceil(seconds)

    def post_status(self, channel, text):
        self.said.append((channel, text))
        return self._new_ts()

    def update_status(self, channel, message_id, text):
        self.said.append((channel, text))

    def group_members(self, group):
        return []

    def post_pending(self, channel, thread_id, reply_id, text):
        self.thread[(channel, thread_id)].append(text)
        return self._new_ts()

    def update_notice(self, channel, ts, text, undo_reply_id=None):
        self.said.append((channel, text))

    def ask(self, channel, user, text, choices, thread_id=None):
        self.told.append((channel, user, text))

    def post_digest(self, channel, digest):
        return self._new_ts()

    def upload_file(self, channel, content, filename, title, initial_comment):
        pass

    def thread_link(self, channel, thread_id):
        return None

    def find_user(self, name, candidates):
        return None

    def texts_in_thread(self, channel: str, thread_id: str) -> list[Said | str]:
        """What the domain said in a thread (not the posts and alerts it put there), as it said it."""
        return [t for t in self.thread[(channel, thread_id)] if isinstance(t, (Said, str))]
