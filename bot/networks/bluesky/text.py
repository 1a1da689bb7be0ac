"""Bluesky's text rules (app.bsky.feed.post: 300 graphemes and 3,000 bytes at most) and the facets that make
@mentions and links live (UTF-8 byte offsets, built with the SDK's TextBuilder)."""

import re
import unicodedata

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
TOKEN = re.compile(r"(?<![\w@])@(?P<handle>[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])|(?P<link>https?://[^\s<>\"]+)")
# A grapheme cluster, close enough for counting what people type: a base and what joins or marks it.
_JOINERS = {"\u200d"}


def graphemes(text: str) -> int:
    count, join_next = 0, False
    for char in text:
        joining = (
            unicodedata.category(char) in ("Mn", "Me", "Mc")
            or 0xFE00 <= ord(char) <= 0xFE0F
            or 0x1F3FB <= ord(char) <= 0x1F3FF
            or 0xE0020 <= ord(char) <= 0xE007F
        )
        if char in _JOINERS:
            join_next = True
            continue
        if not (joining or join_next) or count == 0:
            count += 1
        join_next = False
    return count


def text_problem(text: str) -> str | None:
    if not text.strip():
        return "The reply is empty."
    count = graphemes(text)
    if count > MAX_GRAPHEMES:
        return f"The reply is {count} characters long; Bluesky takes {MAX_GRAPHEMES} at most."
    size = len(text.encode())
    if size > MAX_BYTES:
        return f"The reply is {size} bytes long; Bluesky takes {MAX_BYTES} at most ({count} characters)."
    return None


def build(text: str, resolve_did):
    """The SDK's TextBuilder for text, with a mention facet for each @handle that resolves (resolve_did(handle) ->
    did or None) and a link facet for each URL; what does not resolve stays plain text."""
    from atproto import client_utils

    builder, at = client_utils.TextBuilder(), 0
    for match in TOKEN.finditer(text):
        builder.text(text[at : match.start()])
        if match.group("link"):
            link = match.group("link").rstrip(".,;:!?)")
            builder.link(link, link)
            at = match.start() + len(link)
            continue
        did = resolve_did(match.group("handle"))
        builder.mention(match.group(0), did) if did else builder.text(match.group(0))
        at = match.end()
    builder.text(text[at:])
    return builder


DM_MAX_GRAPHEMES = 1000  # chat.bsky.convo.defs#messageInput: 1,000 graphemes and 10,000 bytes at most
DM_MAX_BYTES = 10_000


def dm_text_problem(text: str) -> str | None:
    count, size = graphemes(text), len(text.encode())
    if count > DM_MAX_GRAPHEMES:
        return f"it is {count:,} characters, over the {DM_MAX_GRAPHEMES:,} a Bluesky direct message allows: shorten it"
    if size > DM_MAX_BYTES:
        return f"it is {size:,} bytes, over the {DM_MAX_BYTES:,} a Bluesky direct message allows: shorten it"
    return None
