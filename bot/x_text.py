"""X's weighted length (twitter-text rules, v3 config: URLs 23, CJK and emoji 2, the rest 1)."""

from twitter_text import parse_tweet

MAX_WEIGHTED_LENGTH = 280


def weighted_length(text: str) -> int:
    return parse_tweet(text).weightedLength
