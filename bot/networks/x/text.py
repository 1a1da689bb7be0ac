"""X's text rules (twitter-text, v3 config: URLs 23, CJK and emoji 2, the rest 1; 280 at most), and X's escaping.

twitter-text compiles its emoji expression on import (about a third of a second): it is imported on first use, so
that a process that never counts a post (`migrate`, `doctor`, `--help`) does not pay for it."""

import re

MAX_WEIGHTED_LENGTH = 280
# X escapes these three, and only these, in a post's text and note_tweet.text (mentions, search, timelines and the
# answer to a create): "Q&A" arrives as "Q&amp;A", so "&lt;" typed by someone arrives as "&amp;lt;".
ESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
ESCAPED = re.compile("&(?:amp|lt|gt);")


def weighted_length(text: str) -> int:
    from twitter_text import parse_tweet

    return parse_tweet(text).weightedLength


def invalid_characters(text: str) -> bool:
    """Characters X refuses in a post (U+FFFE, U+FEFF, U+FFFF, direction overrides U+202A–U+202E)."""
    from twitter_text.has_invalid_characters import has_invalid_characters

    return bool(has_invalid_characters(text))


def unescape(text: str) -> str:
    """A post's text as its author wrote it (one pass, so "&amp;lt;" becomes "&lt;", not "<")."""
    return ESCAPED.sub(lambda match: ESCAPES[match.group(0)], text)
