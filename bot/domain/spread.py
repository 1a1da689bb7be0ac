"""Spread: while a channel's backlog is longer than the chat shows in a minute, its new cases are dealt out over the
overflow channels as well (OVERFLOW_CHANNELS), each channel with a pace of its own, so that together they show more.

Only cases without a thread move: a follow-up goes to its case's thread wherever that is. A case is dealt to the
channel with the least waiting (the channel itself first on a tie), and all its waiting messages with it. The mirror
records the move in the transaction that claims the card, before posting it: a card whose answer was lost is looked for
in the channel it went to, and a case moved once stays there."""

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from bot.domain.backlog import SAY_ABOVE, Waiting


def deal(ordered: list[Waiting], overflow: tuple[str, ...], seconds_for: Callable[[str, int], float]) -> list[Waiting]:
    """The backlog in its order, each message with the channel it is to be shown in. `seconds_for(channel, count)`:
    how long the chat takes to show `count` there."""
    if not overflow:
        return ordered
    waiting = Counter(w.channel for w in ordered)
    behind = {
        channel
        for channel, count in waiting.items()
        if channel not in overflow and seconds_for(channel, count) > SAY_ABOVE.total_seconds()
    }
    if not behind:
        return ordered

    def stays(w: Waiting) -> bool:
        return w.has_thread or w.channel not in behind

    load = Counter(w.channel for w in ordered if stays(w))
    dealt: dict[int, str] = {}
    spread = []
    for w in ordered:
        if stays(w):
            spread.append(w)
            continue
        lane = dealt.get(w.case_id)
        if lane is None:
            lanes = (w.channel, *(c for c in overflow if c != w.channel))
            lane = dealt[w.case_id] = min(lanes, key=lambda c: load[c])
        load[lane] += 1
        spread.append(replace(w, channel=lane))
    return spread
