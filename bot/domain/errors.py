"""Errors the network and chat adapters raise in the domain's own words."""

from datetime import datetime, timedelta

# A network that says an allowance is used up but not when it renews is asked again this much later.
LOOK_AGAIN = timedelta(hours=1)


class NetworkError(Exception):
    """Base of the network adapter's errors; `message` is plain words for an agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ReplyRejected(NetworkError):
    """The network refused the reply for good: nothing was posted. `reason` is a short code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class RateLimited(NetworkError):
    def __init__(self, reset_at: datetime | None, message: str = "rate limited"):
        super().__init__(message)
        self.reset_at = reset_at


class AllowanceSpent(RateLimited):
    """Not a short window: a daily or monthly allowance (a usage cap, the credits paid for) is used up. `reset_at` is
    when the network says it renews, None when it does not say; `said` is the network's own words, `fix` what whoever
    runs the bridge can do about it."""

    def __init__(self, reset_at: datetime | None, message: str, *, said: str, fix: str):
        super().__init__(reset_at, message)
        self.said = said
        self.fix = fix

    def retry_at(self, now: datetime) -> datetime:
        return self.reset_at or now + LOOK_AGAIN


class SourceRefused(NetworkError):
    """The network refuses a source for now (the app's access or plan, the account itself, a parameter of the
    request): nothing was read or done. `said` is the network's own words, `fix` what whoever runs the bridge can do
    about it. It lasts until the network serves again, which only asking again tells."""

    def __init__(self, message: str, *, said: str, fix: str):
        super().__init__(message)
        self.said = said
        self.fix = fix


class BadCredentials(NetworkError):
    pass


class OutcomeUnknown(NetworkError):
    """The call failed in a way that may or may not have taken effect (timeout, 5xx, dropped connection)."""


class ChatError(Exception):
    """A chat call failed; `message` is plain words, `code` the chat's own name for it (for logs only: the domain
    decides by the kind of error, never by the code)."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after


class ChatRefused(ChatError):
    """The chat refused the call: nothing was done (a missing channel, a permission, a message too big)."""


class ChatUncertain(ChatError):
    """The call failed in a way that may or may not have taken effect (unreachable, a timeout, the chat's own
    failure): what it would have posted may be there."""


class ChatRateLimited(ChatError):
    """The chat asks to slow down; `retry_after` is how many seconds it said to wait."""


class NotInChannel(ChatRefused):
    """The person is not a member of the channel: nothing can be shown to them privately there."""


class PartlyDone(NetworkError):
    """A step that worked for some sources and failed for others: `done` is what it did, `message` what failed."""

    def __init__(self, done: int, message: str):
        super().__init__(message)
        self.done = done


class NotCounted(Exception):
    """The figures could not be read (the database locked, away or broken): whoever asked is told to ask again.
    `reason` is one line for the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    told = "I could not count the figures just now: the database did not answer. Ask again in a minute."


class NotRecorded(Exception):
    """A request could not be recorded in time (the database locked, full or away): the chat must be told it failed,
    so that it (or the person) tries again, rather than answered as if it would be done."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
