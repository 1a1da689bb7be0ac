"""Saved replies: written once by an agent, sent from any case by its owner with the usual rules."""

import re
from collections.abc import Mapping

from bot.domain.notices import Emphasis, Said, joined, said
from bot.domain.ports import Network
from bot.domain.replies import Replies
from storage import clicks, saved_replies

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_RULE = "a name is 1–40 lowercase letters, digits, - or _ (e.g. refund-delay)"
LISTED = 100  # saved replies listed, each cut to LISTED_TEXT characters: the listing stays one readable message
LISTED_TEXT = 300


def shortened(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters, "…" included (cut before it is made literal, never after)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SavedReplies:
    def __init__(self, session, clock, agents, networks: Mapping[str, Network]):
        """`networks`: every network the bridge serves, by name (a saved reply must fit each)."""
        self.session, self.clock, self.agents, self.networks = session, clock, agents, networks

    # `once`: the key of the click asking, marked done with the change: a replay never restores a removed reply.

    def add(self, name: str, text: str, user: str, *, once: str | None = None) -> Said | str | None:
        if not self.agents.is_agent(user):
            return self.agents.refusal()
        name, text = name.lower(), text.strip()
        if not NAME.match(name):
            return f"Not saved: {NAME_RULE}."
        if not text:
            return f"Not saved: “{name}” needs a text: /social-replies add {name} Your reply text"
        # A saved reply may be sent on any network the bridge serves: it must go out on each.
        problem = next((p for n in self.networks.values() if (p := Replies.text_problem(n, text))), None)
        if problem:
            return f"Not saved: {problem}."
        with self.session() as s:
            if once is not None and not clicks.finish(s, key=once, at=self.clock()):
                return None  # done already
            added = saved_replies.add(s, name=name, text=text, user=user, at=self.clock())
        if not added:
            return f"Not saved: “{name}” exists. Remove it first: /social-replies remove {name}"
        return said(
            f"Saved “{name}”. Owners can send it from a case card's ",
            Emphasis("Saved reply"),
            f" menu, or with /reply {name}.",
        )

    def remove(self, name: str, user: str, *, once: str | None = None) -> str | None:
        if not self.agents.is_agent(user):
            return self.agents.refusal()
        with self.session() as s:
            if once is not None and not clicks.finish(s, key=once, at=self.clock()):
                return None
            removed = saved_replies.remove(s, name=name.lower())
        return f"Removed “{name}”." if removed else f"There is no saved reply named “{name}”."

    def listing(self) -> Said | str:
        with self.session() as s:
            rows = saved_replies.all_replies(s)
        if not rows:
            return "No saved replies yet. Add one: /social-replies add NAME TEXT"
        lines = [said("• ", Emphasis(r.name), f": {shortened(r.text, LISTED_TEXT)}") for r in rows[:LISTED]]
        more = [f"…and {len(rows) - LISTED} more: /reply NAME sends any of them."] if len(rows) > LISTED else []
        return joined("\n", ["Saved replies:", *lines, *more])

    def names(self) -> list[str]:
        with self.session() as s:
            return saved_replies.all_names(s)

    def text(self, name: str) -> str | None:
        with self.session() as s:
            saved = saved_replies.get(s, name=name.lower())
            return saved.text if saved else None
