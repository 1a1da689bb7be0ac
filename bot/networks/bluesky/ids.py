"""Bluesky post ids: the post's AT-URI (at://<did>/app.bsky.feed.post/<rkey>). The rkey is a TID, a base32-sortable
count of microseconds since 1970 made when the post was written, so ids order and date themselves."""

from datetime import UTC, datetime, timedelta

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
POST_COLLECTION = "app.bsky.feed.post"


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def did_of(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def tid_micros(key: str) -> int | None:
    if len(key) != 13 or any(c not in TID_ALPHABET for c in key):
        return None
    value = 0
    for c in key:
        value = value * 32 + TID_ALPHABET.index(c)
    return value >> 10


def micros_tid(micros: int, clock: int = 0) -> str:
    value = (micros << 10) | clock
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def order_key(uri: str) -> int:
    return tid_micros(rkey(uri)) or 0


def post_time(uri: str) -> datetime | None:
    micros = tid_micros(rkey(uri))
    return None if micros is None else datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def moved_back(uri: str, seconds: float) -> str:
    """An id `seconds` older than uri, to overlap polls (the AppView indexes late)."""
    micros = tid_micros(rkey(uri))
    if micros is None:
        return uri
    return f"at://{did_of(uri)}/{POST_COLLECTION}/{micros_tid(max(0, micros - int(seconds * 1_000_000)))}"


def post_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey(uri)}"


def profile_url(handle: str) -> str:
    return f"https://bsky.app/profile/{handle}"
