"""Replies from the thread: the rules of who goes public, recorded before sending, sent exactly once."""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.agents import Agents
from bot.domain.cards import read_only_reason
from bot.domain.clock import said_time
from bot.domain.errors import (
    AllowanceSpent,
    BadCredentials,
    ChatError,
    OutcomeUnknown,
    RateLimited,
    ReplyRejected,
    SourceRefused,
)
from bot.domain.notices import Person, Quote, Words, said
from bot.domain.ports import Chat
from bot.domain.served import Served
from bot.domain.sources import DM, TERM, dm_network
from bot.domain.states import CaseStatus, EventKind, ReplyState
from bot.domain.types import ChatMessage
from bot.domain.verbs import Verb
from storage import cases, deliveries, replies

log = logging.getLogger(__name__)

SAVED_PREFIX = "saved:"
NOTE_PREFIX = re.compile(r"^\s*note\s*:", re.IGNORECASE)
CREDENTIALS_RETRY = timedelta(minutes=10)


def is_note(text: str) -> bool:
    return bool(NOTE_PREFIX.match(text))


def normalised(text: str) -> str:
    return re.sub(r"https?://\S+", "<url>", " ".join(text.split()))


@dataclass(frozen=True)
class Received:
    verdict: str  # reply | note | refused | duplicate | not-a-case
    message: ChatMessage
    notice: Words | None = None
    reply_id: int | None = None
    late: bool = False  # found by reading the thread back: the chat never delivered it
    network: str = ""  # the display name of the case's network: where the reply goes public


def in_quotes(text: str, limit: int = 200) -> str:
    """An agent's message named inline: on one line, cut (the chat makes it literal when it renders it)."""
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


@dataclass(frozen=True)
class RepliesConfig:
    reply_delay_seconds: float = 0.0  # the undo window before an owner's reply goes out
    settle_seconds: float = 60.0  # a reply left sending this long is looked for on the network, then sent again
    # Why this process cannot reach the network; None when it can. Replies then wait for a worker that can.
    network_unavailable: str | None = None


class Replies:
    def __init__(
        self,
        *,
        session: Callable,
        request_session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        agents: Agents,
        served: Served,
        refresh_card: Callable[[int], bool],
        worker_leads: Callable[[], bool],
        config: RepliesConfig,
    ):
        """`request_session()`: a transaction with a bounded wait, for the request path; `refresh_card(case_id)`:
        redraws a case's card; `worker_leads()`: a worker holds the lead now (it sends the queued replies)."""
        self.session, self.request_session, self.clock, self.chat = session, request_session, clock, chat
        self.agents, self.served, self.refresh_card, self.worker_leads = agents, served, refresh_card, worker_leads
        self.config = config

    def receive(self, msg: ChatMessage) -> str:
        """Handle a message typed in a thread; returns what became of it (for logs and tests)."""
        received = self.record(msg)
        self.follow_up(received)
        return received.verdict

    def record(self, msg: ChatMessage, *, late: bool = False, on_request: bool = False) -> "Received":
        """The fast part, done before the chat gets its answer: dedupe, judge, and queue the reply if it goes
        public. Once this committed, a crash loses nothing: the queued reply is sent by the worker.

        `late`: the message was found in its thread, never delivered; a reply is then held for its owner to send
        or drop. `on_request`: the chat waits for the answer, so the database gets a bounded time (NotRecorded)."""
        now = self.clock()
        with self.request_session() if on_request else self.session() as s:
            case = cases.case_by_thread(s, channel=msg.channel, thread_id=msg.thread_id)
            if case is None:
                return Received("not-a-case", msg)
            keys = [msg.key] + ([f"event:{msg.event_id}"] if msg.event_id else [])
            if not deliveries.remember(s, keys=keys, at=now):
                return Received("duplicate", msg)
            network = self.served.network_of(case)
            verdict, notice = self.judge(case, msg)
            reply_id = None
            if verdict == "reply":
                target = cases.latest_inbound(s, case_id=case.id)
                reply_id = cases.add_message(
                    s,
                    case_id=case.id,
                    direction="out",
                    network=dm_network(case.network) if case.kind == DM else case.network,
                    author_id=case.account_id,
                    text=msg.text.strip(),
                    posted_at=now,
                    stored_at=now,
                    chat_channel=msg.channel,
                    chat_message_id=msg.message_id,
                    dedupe_key=msg.key,
                    agent=msg.user,
                    in_reply_to=target.post_id,
                    state=ReplyState.HELD if late else ReplyState.QUEUED,
                    not_before=None if late else self._undo_window_end(now),
                ).id
            elif verdict == "note":
                cases.add_event(s, case_id=case.id, kind=EventKind.NOTE, actor=msg.user, at=now, detail=msg.text[:2000])
        return Received(verdict, msg, notice, reply_id, late, network.display_name)

    def follow_up(self, received: "Received") -> None:
        """The slow part, after the chat got its answer: tell the author, then send the reply, or, with an undo
        window, show it as pending with an Undo button (the worker sends it when the window closes). A reply found
        late is not sent: its owner is asked."""
        msg = received.message
        if received.notice:
            chat = self.chat.name
            lost = f"{chat} did not deliver your message {in_quotes(msg.text)} to the bridge when you sent it. "
            self._tell(msg, (lost if received.late else "") + received.notice)
        if received.reply_id is None:
            return
        if received.late:
            self._ask_late(received)
            return
        unavailable, on = self.config.network_unavailable, received.network
        if unavailable and not self.worker_leads():
            self._say_at(
                msg.channel,
                msg.thread_id,
                f"Not posted yet: {unavailable}. The reply is kept in its queue and goes out "
                f"when the worker runs with the {on} settings (`python -m bot worker`, or `run`).",
            )
            return
        delay = self.config.reply_delay_seconds
        if delay <= 0:
            if not unavailable:  # else the worker that leads sends it, within a second or two
                self.send(received.reply_id)
            return
        text = (
            f"Sending on {on} in {delay:g} s{self._saved_note(msg)}. Undo to stop it; edit your message to change it."
        )
        try:
            notice_id = self.chat.post_pending(msg.channel, msg.thread_id, received.reply_id, text)
        except ChatError as err:
            log.warning("reply %s: pending notice not shown: %s", received.reply_id, err)
            return
        with self.session() as s:
            replies.set_notice(s, message_id=received.reply_id, notice_id=notice_id)

    def _ask_late(self, received: "Received") -> None:
        """Posting a customer-facing reply minutes or hours after it was typed, unseen, could answer a conversation
        that moved on (the owner may have typed it again, the customer written since): the owner decides."""
        msg = received.message
        text = (
            f"{self.chat.name} did not deliver your message {in_quotes(msg.text)} to the bridge when you sent "
            f"it, so it has not gone out on {received.network}. Send it now?"
        )
        choices = [
            (f"Send it on {received.network}", Verb.SEND_LATE, received.reply_id),
            ("Don't send", Verb.DROP_LATE, received.reply_id),
        ]
        try:
            self.chat.ask(msg.channel, msg.user, text, choices, thread_id=msg.thread_id)
        except ChatError as err:
            log.warning("reply %s: found late, its owner not asked: %s", received.reply_id, err)

    def _undo_window_end(self, now):
        delay = self.config.reply_delay_seconds
        return now + timedelta(seconds=delay) if delay > 0 else None

    @staticmethod
    def _saved_note(msg: ChatMessage) -> str:
        return f" (saved reply: “{msg.text}”)" if msg.key.startswith(SAVED_PREFIX) else ""

    def judge(self, case, msg: ChatMessage) -> tuple[str, Words | None]:
        """('reply' | 'note' | 'refused', what to tell the author privately): the rules of who goes public on the
        case's network."""
        network = self.served.network_of(case)
        if not self.agents.is_agent(msg.user):
            return "refused", self.agents.refusal()
        if (
            case.kind == TERM
            and not is_note(msg.text)
            and (case.status != CaseStatus.CLAIMED or case.owner == msg.user)
        ):
            return "refused", self.read_only_refusal(network)
        if case.status == CaseStatus.OPEN:
            return (
                "note",
                "This case is not claimed, so your message stayed internal. "
                f"Claim it first to reply on {network.display_name}.",
            )
        if case.status == CaseStatus.RESOLVED:
            return (
                "note",
                "This case is resolved, so your message stayed internal. Reopen and claim it to reply.",
            )
        if case.owner != msg.user:
            return "note", None
        if is_note(msg.text):
            return "note", None
        problem = self.text_problem(network, msg.text, direct=case.kind == DM)
        return ("refused", f"Not posted: {problem}. Nothing was sent.") if problem else ("reply", None)

    def read_only_refusal(self, network) -> str:
        return (
            f"Not sent: {read_only_reason(network, self.chat.name)} Your message stays in the thread, internal. "
            f"Answer on {network.display_name} from the post linked on the card if needed."
        )

    @staticmethod
    def text_problem(network, text: str, *, direct: bool = False) -> str | None:
        """Why a text cannot go out as it is on `network` (a post, or a direct message), in words for the agent;
        None when it can."""
        text = text.strip()
        if not text:
            return "there is no text to post"
        if direct:
            messages = network.direct_messages
            if messages is None:
                return f"{network.display_name} has no direct messages"
            return messages.check_text(text)
        return network.check_text(text)

    def send(self, reply_id: int) -> str:
        """Send a queued reply if it is due; exactly one caller gets to send it."""
        now = self.clock()
        with self.session() as s:
            if not replies.start_sending(s, message_id=reply_id, now=now):
                return "not-due"
            reply = replies.get_reply(s, message_id=reply_id)
            case = cases.get_case(s, case_id=reply.case_id)
        source = self.served.source_for(case)  # replies go out from the account the customer wrote to
        try:
            if source is None:
                raise BadCredentials(self.served.not_served(case))
            if case.kind == DM:
                posted = self._direct_messages(source).send(source.account, case.customer_id, reply.text)
            else:
                posted = source.network.reply(source.account, reply.in_reply_to, reply.text)
        except AllowanceSpent as err:
            # Renewed in hours or weeks: the reply waits, tried again at the renewal (or hourly when the network does
            # not say when), and the thread hears of it once.
            until = err.retry_at(now)
            with self.session() as s:
                replies.requeue(s, message_id=reply_id, not_before=until, error="allowance spent")
            if reply.attempts <= 1:
                when = said_time(until, now)
                self._report(
                    reply,
                    case,
                    f"Not posted yet: {err.message} (“{err.said}”). This reply is queued and "
                    + (
                        f"will go out at {when}."
                        if err.reset_at
                        else f"tried again at {when}, then hourly until it goes out."
                    ),
                )
            log.error("reply %s: %s (%s) %s", reply_id, err.message, err.said, err.fix)
            return "allowance-spent"
        except RateLimited as err:
            with self.session() as s:
                replies.requeue(s, message_id=reply_id, not_before=err.reset_at, error="rate limited")
            when = said_time(err.reset_at, now) if err.reset_at else "in a few minutes"
            self._report(reply, case, f"{err.message}: this reply is queued and will go out at {when}.")
            return "rate-limited"
        except ReplyRejected as err:
            with self.session() as s:
                replies.mark_failed(s, message_id=reply_id, error=err.reason)
            self._report(reply, case, f"Not posted on {source.network.display_name}: {err.message}")
            return f"rejected:{err.reason}"
        except (BadCredentials, SourceRefused) as err:
            with self.session() as s:
                replies.requeue(s, message_id=reply_id, not_before=now + CREDENTIALS_RETRY, error="credentials")
            why = f"{err.message} (“{err.said}”). {err.fix}" if isinstance(err, SourceRefused) else err.message
            if reply.attempts <= 1:
                kept = "The reply is kept and will be tried again."
                self._report(reply, case, f"Not posted yet: {why} {kept}")
            log.error("the account or the app is refused: %s", why)
            return "bad-credentials"
        except OutcomeUnknown as err:
            # Left 'sending': settle_unfinished() looks at the brand's posts before anything is sent again.
            log.warning("reply %s: outcome unknown (%s); it will be settled", reply_id, err.message)
            return "unknown"
        self._record_sent(reply, case, posted.id, posted.url, source.network)
        return "sent"

    def _record_sent(self, reply, case, post_id: str, url: str, network) -> None:
        now = self.clock()
        with self.session() as s:
            replies.mark_sent(s, message_id=reply.id, post_id=post_id, at=now)
            cases.add_event(s, case_id=case.id, kind=EventKind.REPLY, actor=reply.agent or "", at=now, detail=post_id)
            cases.touch_card(s, case_id=case.id)
        log.info("case %s: reply %s posted as %s", case.id, reply.id, post_id)
        saved = said("\n", Quote(reply.text)) if (reply.dedupe_key or "").startswith(SAVED_PREFIX) else None
        if case.kind == DM:
            done = said(f"Sent to @{case.customer_handle} as a direct message by ", Person(reply.agent), ".")
        else:
            done = said(f"Posted on {network.display_name} by ", Person(reply.agent), f": {url}")
        self._report(reply, case, said(done, saved))
        self.refresh_card(case.id)

    @staticmethod
    def _direct_messages(source):
        messages = source.network.direct_messages
        if messages is None:  # a DM case of a network that has none (any more): nothing can be sent or found
            raise ReplyRejected("no_dms", f"{source.network.display_name} has no direct messages.")
        return messages

    def send_due(self) -> int:
        with self.session() as s:
            due = replies.due_replies(s, now=self.clock())
        return sum(self.send(r.id) == "sent" for r in due)

    def settle_unfinished(self) -> int:
        """Replies left 'sending' by a crash or an unclear answer: find out on the network before sending again."""
        now = self.clock()
        cutoff = now - timedelta(seconds=self.config.settle_seconds)
        with self.session() as s:
            stuck = replies.unsettled_replies(s, started_before=cutoff)
        settled = 0
        for reply in stuck:
            with self.session() as s:
                if not replies.claim_unsettled(s, message_id=reply.id, started_before=cutoff, now=now):
                    continue
                case = cases.get_case(s, case_id=reply.case_id)
            source = self.served.source_for(case)
            try:
                if source is None:
                    raise BadCredentials(self.served.not_served(case))
                if case.kind == DM:
                    posts = self._direct_messages(source).sent(source.account, case.customer_id, reply.in_reply_to)
                else:
                    posts = source.network.recent_posts(source.account, reply.in_reply_to)
            except (RateLimited, OutcomeUnknown, BadCredentials, SourceRefused, ReplyRejected) as err:
                log.warning("reply %s: cannot settle yet: %s", reply.id, err.message)
                continue
            match = next(
                (
                    p
                    for p in posts
                    if p.in_reply_to == (None if case.kind == DM else reply.in_reply_to)
                    and normalised(p.text) == normalised(reply.text)
                ),
                None,
            )
            if match:
                url = "" if case.kind == DM else source.network.post_url(source.account.handle, match.id)
                self._record_sent(reply, case, match.id, url, source.network)
            else:
                with self.session() as s:
                    replies.requeue(s, message_id=reply.id, not_before=None, error="not posted; retrying")
                self.send(reply.id)
            settled += 1
        return settled

    def _report(self, reply, case, text: Words) -> None:
        """A reply's fate: in its pending notice when it has one, else as a new thread message."""
        if reply.notice_id:
            try:
                self.chat.update_notice(case.channel, reply.notice_id, text)
                return
            except ChatError as err:
                log.warning("reply %s: notice not updated: %s", reply.id, err)
        self._say(case, text)

    def _say(self, case, text: Words) -> None:
        self._say_at(case.channel, case.thread_id, text)

    def _say_at(self, channel: str, thread_id: str, text: Words) -> None:
        try:
            self.chat.say_in_thread(channel, thread_id, text)
        except ChatError as err:
            log.warning("thread %s/%s: could not say: %s (%s)", channel, thread_id, err, getattr(text, "plain", text))

    def _tell(self, msg: ChatMessage, text: Words) -> None:
        try:
            self.chat.tell(msg.channel, msg.user, text, thread_id=msg.thread_id)
        except ChatError as err:
            log.warning("could not tell %s privately: %s", msg.user, err)
