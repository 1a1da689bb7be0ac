"""Bluesky's direct messages (chat.bsky.convo.*), through the PDS with the chat proxy header
(`atproto-proxy: did:web:api.bsky.chat#bsky_chat`): the DirectMessages capability of a BlueskyNetwork.

New messages are read from the account's chat log (getLog) from its cursor, a rev: one request a poll when nothing
happened, whatever the number of conversations; listConvos and getMessages would cost one request per conversation
and still not say what is new. The cursor is kept with the session (the network's kept state) and moved only once
the caller has stored what was read. The first poll, without a cursor, takes the log's cursor first and then each
conversation's latest messages."""

import logging
from datetime import UTC, datetime

from atproto_client.exceptions import BadRequestError, RequestException

from bot.domain.errors import ReplyRejected
from bot.domain.types import Author, BrandAccount, InboundPost, OwnPost, PostedReply
from bot.networks.bluesky import ids, text
from bot.networks.bluesky.xrpc_errors import said

log = logging.getLogger(__name__)
LOG_KEY = "bluesky-chat-log"  # where the chat log's cursor is kept, beside the session (network_session)
PAGE_SIZE = 100
LOG_PAGES = 20  # the log pages one poll reads at most; the rest waits for the next
CREATE_MESSAGE = "chat.bsky.convo.defs#logCreateMessage"
MESSAGE_VIEW = "chat.bsky.convo.defs#messageView"


def _created(view) -> datetime:
    return datetime.fromisoformat(view.sent_at.replace("Z", "+00:00")).astimezone(UTC)


class BlueskyDirectMessages:
    ends_by_itself = True  # pages() reads from the log's cursor and ends there: the caller reads every page

    def __init__(self, network):
        self.network = network
        self.chat = network.client.with_bsky_chat_proxy()  # shares the session; adds the proxy header
        self._convos: dict[str, str] = {}  # customer's did -> convo id
        self._cursor: str | None = None  # kept here too when the network keeps no state

    # --- the log's cursor
    def _load_cursor(self) -> str | None:
        sessions = self.network.sessions
        return sessions.load(LOG_KEY, self.network.handle) if sessions is not None else self._cursor

    def _save_cursor(self, cursor: str) -> None:
        self._cursor = cursor
        if self.network.sessions is not None:
            self.network.sessions.save(LOG_KEY, self.network.handle, cursor)

    # --- reading
    def pages(self, account: BrandAccount):
        """New messages to the account, a page at a time (the brand's own left out). Each page's cursor is kept
        when the caller asks for the next one, i.e. once the page is stored; a poll cut short reads it again."""
        convo = self.chat.chat.bsky.convo
        cursor = self._load_cursor()
        if cursor is None:
            cursor = self.network._call(convo.get_log, {}).cursor
            first = self._latest_of_each_convo(account)
            if first:
                yield first
            if cursor:
                self._save_cursor(cursor)
        for _ in range(LOG_PAGES):
            response = self.network._call(convo.get_log, {"cursor": cursor} if cursor else {})
            views = [
                (entry.convo_id, entry.message)
                for entry in response.logs
                if entry.py_type == CREATE_MESSAGE and getattr(entry.message, "py_type", None) == MESSAGE_VIEW
            ]
            page = self._inbound(account, views)
            if page:
                yield page
            if not response.cursor or response.cursor == cursor:
                return
            cursor = response.cursor
            self._save_cursor(cursor)
            if not response.logs:
                return

    def _latest_of_each_convo(self, account: BrandAccount) -> list[InboundPost]:
        convo = self.chat.chat.bsky.convo
        views, cursor = [], None
        while True:
            params = {"limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            response = self.network._call(convo.list_convos, params)
            for view in response.convos:
                if view.last_message is None or getattr(view.last_message, "py_type", None) != MESSAGE_VIEW:
                    continue
                messages = self.network._call(convo.get_messages, {"convoId": view.id, "limit": PAGE_SIZE}).messages
                views += [(view.id, m) for m in messages if getattr(m, "py_type", None) == MESSAGE_VIEW]
            cursor = response.cursor
            if not cursor or not response.convos:
                break
        return self._inbound(account, views)

    def _inbound(self, account: BrandAccount, views: list) -> list[InboundPost]:
        theirs = [(convo_id, m) for convo_id, m in views if m.sender.did != account.account_id]
        profiles = self.network._profiles([m.sender.did for _, m in theirs]) if theirs else {}
        posts = []
        for convo_id, message in theirs:
            did = message.sender.did
            self._convos[did] = convo_id
            profile = profiles.get(did)
            author = Author(
                id=did,
                handle=profile.handle if profile else did,
                name=(profile.display_name if profile else "") or "",
                followers=profile.followers_count if profile else None,
                location=None,
            )
            posts.append(InboundPost(message.id, convo_id, author, message.text, _created(message)))
        return sorted(posts, key=lambda p: ids.order_key(p.id), reverse=True)  # newest first, as the port says

    # --- writing
    def _convo_with(self, did: str) -> str:
        if did not in self._convos:
            try:
                response = self.network._call(self.chat.chat.bsky.convo.get_convo_for_members, {"members": [did]})
            except (BadRequestError, RequestException) as err:
                raise _refusal(err, self.network.handle) from err
            self._convos[did] = response.convo.id
        return self._convos[did]

    def send(self, account: BrandAccount, to_user_id: str, text_: str) -> PostedReply:
        convo_id = self._convo_with(to_user_id)
        try:
            sent = self.network._call(
                self.chat.chat.bsky.convo.send_message, {"convoId": convo_id, "message": {"text": text_}}
            )
        except (BadRequestError, RequestException) as err:
            raise _refusal(err, self.network.handle) from err
        return PostedReply(id=sent.id, url="")

    def sent(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]:
        convo_id = self._convo_with(to_user_id)
        response = self.network._call(self.chat.chat.bsky.convo.get_messages, {"convoId": convo_id, "limit": PAGE_SIZE})
        since = ids.order_key(since_id) if since_id else None
        return [
            OwnPost(m.id, m.text, None)
            for m in response.messages
            if getattr(m, "py_type", None) == MESSAGE_VIEW
            and m.sender.did == account.account_id
            and (since is None or ids.order_key(m.id) > since)
        ]

    def check_text(self, text_: str) -> str | None:
        return text.dm_text_problem(text_)


# The chat service's refusals of a conversation, in words for the agent.
REFUSALS = {
    "MessagingDisabled": "the customer does not accept direct messages from @{handle} (their chat settings)",
    "NotFollowedBySender": "the customer accepts direct messages only from accounts they follow",
    "BlockedActor": "the customer and @{handle} block one another",
    "AccountSuspended": "the customer's account is suspended",
    "RecipientNotFound": "the customer's account no longer exists",
    "InvalidConvo": "the conversation is gone: the customer left or deleted it",
    "ConvoLocked": "the conversation is locked",
}


def _refusal(err: BadRequestError | RequestException, handle: str) -> ReplyRejected:
    status, code, message, _ = said(err)
    plain = REFUSALS.get(code)
    if plain is None:
        plain = f"Bluesky's chat refused it ({code or status}: {message})"
    return ReplyRejected("dm_refused", f"{plain.format(handle=handle)}. Nothing was sent.")
