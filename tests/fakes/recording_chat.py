"""An in-memory Chat (the port in bot/domain/ports.py): it answers like a chat that accepts everything and records
each call, so domain tests assert on what the domain told whom, without a platform."""

import math
from dataclasses import dataclass, field
from itertools import count

from bot.domain.notices import Person


@dataclass(frozen=True)
class Call:
    method: str
    channel: str | None
    thread: str | None = None
    user: str | None = None
    what: object = None  # what was said (a Said, as the domain said it), the alert, card or post handed over
    id: str | None = None  # the id the chat gave what was posted


@dataclass
class RecordingChat:
    name: str = "the chat"
    calls: list[Call] = field(default_factory=list)
    _ids: count = field(default_factory=lambda: count(1))

    def _id(self) -> str:
        return f"m{next(self._ids)}"

    def _record(self, method, channel, thread=None, user=None, what=None, *, posted: bool = False) -> str | None:
        self.calls.append(Call(method, channel, thread, user, what, self._id() if posted else None))
        return self.calls[-1].id

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def said(self, method: str) -> list:
        """What was handed over in the calls of one method, in order."""
        return [c.what for c in self.of(method)]

    def people_named(self, method: str) -> list[str | None]:
        """Who was named (mentioned) in what the calls of one method said, in order."""
        return [p.id for what in self.said(method) for p in getattr(what, "parts", ()) if isinstance(p, Person)]

    # -- the port -----------------------------------------------------------------------------------------

    def post_card(self, channel, card):
        return channel, self._record("post_card", channel, what=card, posted=True)

    def update_card(self, channel, ts, card):
        self._record("update_card", channel, ts, what=card)

    def post_in_thread(self, channel, thread_id, post):
        return self._record("post_in_thread", channel, thread_id, what=post, posted=True)

    def find_mirror(self, channel, thread_id, message_id, since):
        return None

    def say_in_thread(self, channel, thread_id, text):
        self._record("say_in_thread", channel, thread_id, what=text)

    def thread_messages(self, channel, thread_id, *, oldest, latest):
        return []

    def tell(self, channel, user, text, thread_id=None):
        self._record("tell", channel, thread_id, user, text)

    def say_in_channel(self, channel, text):
        self._record("say_in_channel", channel, what=text)

    def seconds_for(self, channel, count):
        return float(count)  # a message a second, as Slack

    def posts_within(self, channel, seconds):
        return math.ceil(seconds)

    def post_status(self, channel, text):
        return self._record("post_status", channel, what=text, posted=True)

    def update_status(self, channel, message_id, text):
        self._record("update_status", channel, message_id, what=text)

    def alert(self, channel, thread_id, alert):
        self._record("alert", channel, thread_id, what=alert)

    def group_members(self, group):
        return []

    def post_pending(self, channel, thread_id, reply_id, text):
        return self._record("post_pending", channel, thread_id, what=text, posted=True)

    def update_notice(self, channel, ts, text, undo_reply_id=None):
        self._record("update_notice", channel, ts, what=text)

    def ask(self, channel, user, text, choices, thread_id=None):
        self._record("ask", channel, thread_id, user, (text, tuple(choices)))

    def post_digest(self, channel, digest):
        return self._record("post_digest", channel, what=digest, posted=True)

    def upload_file(self, channel, content, filename, title, initial_comment):
        self._record("upload_file", channel, what=filename)

    def thread_link(self, channel, thread_id):
        return None

    def find_user(self, name, candidates):
        return None
