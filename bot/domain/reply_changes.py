"""After an owner typed a reply: undo it in the window, edit it, delete it, or send a saved reply instead.

A network post cannot be edited: once a reply went out, an edit or a deletion in the chat only offers to delete
the post (and to post the new text instead); nothing happens on the network without the owner's click.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain.casework import UNKNOWN_CASE, Casework
from bot.domain.errors import ChatError, NetworkError
from bot.domain.notices import Emphasis, Person, Words, said
from bot.domain.ports import Chat
from bot.domain.replies import SAVED_PREFIX, Replies
from bot.domain.saved import SavedReplies
from bot.domain.served import Served
from bot.domain.sources import DM
from bot.domain.states import EventKind, ReplyState
from bot.domain.types import ChatMessage, Outcome
from bot.domain.verbs import Verb
from storage import cases, replies

log = logging.getLogger(__name__)

TOO_LATE = "Too late: the reply has already gone out (or is going out right now)."


class ReplyChanges:
    def __init__(
        self,
        *,
        session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        served: Served,
        replies: Replies,
        saved: SavedReplies,
        casework: Casework,
        network_unavailable: str | None = None,
    ):
        """`network_unavailable`: why this process cannot reach the network (None when it can): a reply released
        then is left to the worker."""
        self.session, self.clock, self.chat, self.served = session, clock, chat, served
        self.replies, self.saved, self.casework, self.network_unavailable = (
            replies,
            saved,
            casework,
            network_unavailable,
        )

    def use_saved(self, case_id: int, name: str, user: str, key: str) -> Outcome:
        """Send a saved reply in a case, as if its owner had typed it in the thread; `key` makes it once-only."""
        text = self.saved.text(name)
        if text is None:
            return Outcome(False, f"There is no saved reply named “{name}”. See /social-replies list.")
        with self.session() as s:
            case = cases.get_case(s, case_id=case_id)
        if case is None or case.thread_id is None:
            return Outcome(False, UNKNOWN_CASE)
        message = ChatMessage(case.channel, None, case.thread_id, user, text, dedupe_key=f"{SAVED_PREFIX}{key}")
        received = self.replies.record(message)
        self.replies.follow_up(received)
        return Outcome(received.verdict == "reply", None)

    def use_saved_here(self, name: str, user: str, channel: str, key: str) -> Outcome:
        """A saved reply sent from a channel (a slash command): in the one case the agent owns there."""
        owned = self.casework.owned_in(user, channel)
        if len(owned) != 1:
            where = "no case" if not owned else f"{len(owned)} cases"
            return Outcome(
                False,
                said(
                    f"You own {where} in this channel: pick the saved reply from the case card's ",
                    Emphasis("Saved reply"),
                    " menu.",
                ),
            )
        return self.use_saved(owned[0], name, user, key)

    def send_late(self, reply_id: int, user: str) -> Outcome:
        """Its owner says to send a reply that reached the bridge late (held): by the rules as they stand now."""
        reply, case = self._load(reply_id)
        if reply is None:
            return Outcome(False, "That reply is not known. Nothing was changed.")
        if user != reply.agent:
            return Outcome(False, said("Only ", Person(reply.agent), ", who wrote it, can send this reply."))
        if reply.state != ReplyState.HELD:
            return Outcome(False, "That reply was sent or dropped already. Nothing was changed.")
        msg = ChatMessage(
            reply.chat_channel, reply.chat_message_id, case.thread_id, user, reply.text, dedupe_key=reply.dedupe_key
        )
        verdict, notice = self.replies.judge(case, msg)
        if verdict != "reply":
            with self.session() as s:
                replies.cancel(s, message_id=reply_id, reason="no longer allowed when its owner chose to send it")
            return Outcome(False, said("Not sent: ", notice or "this case is no longer yours to answer."))
        with self.session() as s:
            released = replies.release_held(s, message_id=reply_id)
        if not released:
            return Outcome(False, "That reply was sent or dropped already. Nothing was changed.")
        if not self.network_unavailable:  # else the worker that leads sends it, within a second or two
            self.replies.send(reply_id)
        return Outcome(True)

    def drop_late(self, reply_id: int, user: str) -> Outcome:
        reply, _ = self._load(reply_id)
        if reply is None:
            return Outcome(False, "That reply is not known. Nothing was changed.")
        if user != reply.agent:
            return Outcome(False, said("Only ", Person(reply.agent), ", who wrote it, can drop this reply."))
        with self.session() as s:
            dropped = replies.cancel(s, message_id=reply_id, reason=f"found late; not sent, by {user}")
        if not dropped:
            return Outcome(False, "That reply was sent or dropped already. Nothing was changed.")
        return Outcome(True, "Not sent: your message stays in the thread, internal.")

    def undo(self, reply_id: int, user: str) -> Outcome:
        reply, case = self._load(reply_id)
        if reply is None:
            return Outcome(False, "That reply is not known. Nothing was changed.")
        if user != reply.agent:
            return Outcome(False, said("Only ", Person(reply.agent), ", who wrote it, can undo this reply."))
        with self.session() as s:
            cancelled = replies.cancel(s, message_id=reply_id, reason=f"undone by {user}")
        if not cancelled:
            return Outcome(False, TOO_LATE)
        self._notice(reply, case, said("Undone by ", Person(user), f": not posted on {self._on(case)}."))
        return Outcome(True)

    def edited(self, channel: str, message_id: str, user: str, new_text: str) -> str:
        """The author edited a thread message that was a reply."""
        with self.session() as s:
            reply = replies.reply_for_chat_message(s, channel=channel, message_id=message_id)
        if reply is None or reply.agent != user:
            return "not-a-reply"
        _, case = self._load(reply.id)
        text = new_text.strip()
        if reply.state == ReplyState.HELD:  # found late, waiting for its owner: the new text is what Send would send
            with self.session() as s:
                changed = replies.change_queued_text(s, message_id=reply.id, text=text)
            return "changed" if changed else "ignored"
        if reply.state == ReplyState.QUEUED:
            network = self.served.network_of(case)
            problem = self.replies.text_problem(network, text, direct=case.kind == DM)
            if problem:
                self._tell(case, user, f"Not changed: {problem}. The earlier text is still queued; undo it if needed.")
                return "refused"
            with self.session() as s:
                changed = replies.change_queued_text(s, message_id=reply.id, text=text)
            if changed:
                self._notice(reply, case, "Edited: the new text will go out when the undo window closes.", undo=True)
                return "changed"
        if reply.state in (ReplyState.SENDING, ReplyState.SENT, ReplyState.QUEUED) and reply.deleted_at is None:
            with self.session() as s:
                replies.keep_edit(s, message_id=reply.id, text=text)
            self._ask(
                case,
                user,
                f"{self._on(case)} does not allow editing a post, and your reply is already public. "
                f"Delete it on {self._on(case)} and post the new text instead?",
                [("Delete and post the new text", Verb.REPOST, reply.id), ("Keep the post", Verb.KEEP, reply.id)],
            )
            return "asked"
        return "ignored"

    def chat_deleted(self, channel: str, message_id: str) -> str:
        """The author deleted their chat message: stop it if it has not gone, else ask about the post."""
        with self.session() as s:
            reply = replies.reply_for_chat_message(s, channel=channel, message_id=message_id)
        if reply is None:
            return "not-a-reply"
        _, case = self._load(reply.id)
        with self.session() as s:
            cancelled = replies.cancel(s, message_id=reply.id, reason="chat message deleted")
        if cancelled:
            self._notice(
                reply,
                case,
                f"Not posted on {self._on(case)}: the {self.chat.name} message was deleted before it went out.",
            )
            return "cancelled"
        if reply.state in (ReplyState.SENDING, ReplyState.SENT) and reply.deleted_at is None:
            on = self._on(case)
            self._ask(
                case,
                reply.agent,
                f"You deleted your {self.chat.name} message, but the reply is still public on {on}. "
                f"Delete it on {on} too?",
                [(f"Delete it on {on}", Verb.DELETE, reply.id), (f"Keep it on {on}", Verb.KEEP, reply.id)],
            )
            return "asked"
        return "ignored"

    def delete_on_network(self, reply_id: int, user: str) -> Outcome:
        reply, case = self._load(reply_id)
        if reply is None:
            return Outcome(False, "That reply is not known. Nothing was changed.")
        if user != reply.agent:
            return Outcome(False, said("Only ", Person(reply.agent), ", who wrote it, can delete this reply."))
        if reply.state != ReplyState.SENT or reply.deleted_at is not None:
            return Outcome(False, f"That reply is not public on {self._on(case)} (any more): nothing to delete.")
        if case.kind == DM:
            return Outcome(
                False,
                f"A direct message that went out cannot be deleted from {self.chat.name}. Nothing was changed.",
            )
        source = self.served.source_for(case)  # a post is deleted by the account that posted it
        try:
            if source is None:
                raise NetworkError(self.served.not_served(case))
            source.network.delete_post(source.account, reply.post_id)
        except NetworkError as err:
            return Outcome(False, f"{self._on(case)} did not delete it: {err.message}")
        now = self.clock()
        with self.session() as s:
            replies.mark_deleted(s, message_id=reply_id, at=now)
            cases.add_event(s, case_id=case.id, kind=EventKind.DELETE, actor=user, at=now, detail=reply.post_id)
        self._say(case, said(f"Deleted on {self._on(case)} by ", Person(user), "."))
        return Outcome(True)

    def repost(self, reply_id: int, user: str) -> Outcome:
        reply, case = self._load(reply_id)
        if reply is None or not reply.edited_text:
            return Outcome(False, "There is no edited text to post. Nothing was changed.")
        deleted = self.delete_on_network(reply_id, user)
        if not deleted.changed:
            return deleted
        with self.session() as s:
            original = reply.dedupe_key.split(":edit", 1)[0]
            n = replies.count_with_key(s, key=original)
            replies.keep_edit(s, message_id=reply_id, text=None)
        message = ChatMessage(
            reply.chat_channel, None, case.thread_id, user, reply.edited_text, dedupe_key=f"{original}:edit{n}"
        )
        received = self.replies.record(message)
        self.replies.follow_up(received)
        return Outcome(received.verdict == "reply")

    def keep(self, reply_id: int, user: str) -> Outcome:
        reply, case = self._load(reply_id)
        with self.session() as s:
            replies.keep_edit(s, message_id=reply_id, text=None)
        return Outcome(False, f"Kept as it is on {self._on(case)}." if case else "Kept as it is.")

    def _on(self, case) -> str:
        """The name of the case's network, as the agents say it."""
        return self.served.network_of(case).display_name

    def _load(self, reply_id: int):
        with self.session() as s:
            reply = replies.get_reply(s, message_id=reply_id)
            if reply is None or reply.direction != "out":
                return None, None
            return reply, cases.get_case(s, case_id=reply.case_id)

    def _notice(self, reply, case, text: Words, *, undo: bool = False) -> None:
        try:
            if reply.notice_id:
                self.chat.update_notice(case.channel, reply.notice_id, text, undo_reply_id=reply.id if undo else None)
            else:
                self.chat.say_in_thread(case.channel, case.thread_id, text)
        except ChatError as err:
            log.warning("reply %s: notice not shown: %s", reply.id, err)

    def _say(self, case, text: Words) -> None:
        try:
            self.chat.say_in_thread(case.channel, case.thread_id, text)
        except ChatError as err:
            log.warning("case %s: %s (%s)", case.id, err, getattr(text, "plain", text))

    def _tell(self, case, user: str, text: Words) -> None:
        try:
            self.chat.tell(case.channel, user, text, thread_id=case.thread_id)
        except ChatError as err:
            log.warning("could not tell %s: %s", user, err)

    def _ask(self, case, user: str, text: Words, choices) -> None:
        try:
            self.chat.ask(case.channel, user, text, choices, thread_id=case.thread_id)
        except ChatError as err:
            log.warning("could not ask %s: %s", user, err)
