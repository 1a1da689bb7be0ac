"""Refused sources: when the network refuses a source (an account's mentions or direct messages, a tracked term),
its channel is told once, in plain words: what the network said and what to do about it; and once more when the
network serves that source again. Once across polls, processes and restarts: a notice is a row, taken by whoever says
it and dropped by whoever says the source is back; a notice the chat did not take is dropped, to be said next time."""

import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain.clock import said_time
from bot.domain.errors import AllowanceSpent, ChatError, SourceRefused
from bot.domain.notices import Icon, Said, said
from bot.domain.ports import Chat
from storage import notices

log = logging.getLogger(__name__)

KINDS = ("refused", "allowance")  # a refusal, a spent allowance: a source moving from one to the other is told anew


class Refusals:
    def __init__(self, *, session: Callable, chat: Chat, clock: Callable[[], datetime], default_channel: str | None):
        """`default_channel`: where a source without a channel of its own is told."""
        self.session, self.chat, self.clock, self.default_channel = session, chat, clock, default_channel

    def refused(
        self,
        network: str,
        source: str,
        channel: str | None,
        what: str,
        err: SourceRefused | AllowanceSpent,
        until: datetime | None,
    ) -> None:
        """Tell `channel` once that `what` (the source keyed `source`) is refused, unless it was told already;
        `until` is when it is asked again (None: at every poll); `network` is the network's display name."""
        key = f"{KINDS[isinstance(err, AllowanceSpent)]}:{source}"
        with self.session() as s:
            if not notices.say_once(s, key=key, at=self.clock()):
                return
        if until is None:
            again = f"The bridge asks {network} again at every poll"
        else:
            hourly = ", then every hour" if isinstance(err, AllowanceSpent) and err.reset_at is None else ""
            again = f"The bridge asks {network} again at {said_time(until, self.clock())}{hourly}"
        text = said(
            Icon("no_entry"),
            f" {_capital(what)} are not read for now: {err.message}. "
            f"{network} said: “{err.said}” What to do: {err.fix} {again}, and says here when "
            f"{network} serves "
            "them again. Everything else goes on.",
        )
        log.error("%s: refused by %s: %s (%s) %s", what, network, err.message, err.said, err.fix)
        if not self._say(channel, text):
            with self.session() as s:
                notices.forget(s, keys=[key])

    def served(self, network: str, source: str, channel: str | None, what: str) -> None:
        """The network served the source keyed `source`: if its channel was told it was refused, tell it it is back."""
        with self.session() as s:
            if not notices.forget(s, keys=[f"{kind}:{source}" for kind in KINDS]):
                return
        log.info("%s: served by %s again", what, network)
        self._say(
            channel,
            said(
                Icon("white_check_mark"),
                f" {_capital(what)} are read again: {network} serves them again, and what "
                "came in the meantime is being fetched.",
            ),
        )

    def _say(self, channel: str | None, text: Said) -> bool:
        try:
            self.chat.say_in_channel(channel or self.default_channel, text)
        except ChatError as err:
            log.error("could not tell the channel (%s): %s", err, text.plain)
            return False
        return True


def _capital(what: str) -> str:
    return what[:1].upper() + what[1:]
