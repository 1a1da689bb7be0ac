"""X's text rules (twitter-text, v3 config: URLs 23, CJK and emoji 2, the rest 1; 280 at most).

twitter-text compiles its emoji expression on import (about a third of a second): it is imported on first use, so
that a process that never counts a post (`migrate`, `doctor`, `--help`) does not pay for it."""

MAX_WEIGHTED_LENGTH = 280


def weighted_length(text: str) -> int:
    from twitter_text import parse_tweet

    return parse_tweet(text).weightedLength


def invalid_characters(text: str) -> bool:
    """Characters X refuses in a post (U+FFFE, U+FEFF, U+FFFF, direction overrides U+202A–U+202E)."""
    from twitter_text.has_invalid_characters import has_invalid_characters

    return bool(has_invalid_characters(text))
