"""X's text rules (twitter-text, v3 config: URLs 23, CJK and emoji 2, the rest 1; 280 at most)."""

from twitter_text import parse_tweet
from twitter_text.has_invalid_characters import has_invalid_characters

MAX_WEIGHTED_LENGTH = 280


def weighted_length(text: str) -> int:
    return parse_tweet(text).weightedLength


def invalid_characters(text: str) -> bool:
    """Characters X refuses in a post (U+FFFE, U+FEFF, U+FFFF, direction overrides U+202A–U+202E)."""
    return bool(has_invalid_characters(text))
