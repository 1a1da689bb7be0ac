"""How counts and durations read in what people are told: one plural rule and one duration format, used by every
message (cards, digests, /social-stats), so a figure reads the same wherever it is shown.

Counts stay exact (thousands separated); durations are rounded to the unit that matters at their size, and under a
minute is said as such rather than as a number of seconds nobody acts on."""

DASH = "—"
MINUTE, HOUR, DAY = 60, 3600, 86400


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 case`, `3 cases`, `2 public replies` (give `many` where adding an s is wrong)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def duration(seconds: float | None) -> str:
    """`under a minute`, `12 min`, `1 h`, `2 h 5 min`, `1 day`, `3 days 4 h`; a dash when there is none."""
    if seconds is None:
        return DASH
    if seconds < MINUTE - 0.5:
        return "under a minute"
    minutes = round(seconds / MINUTE)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(seconds / HOUR), 24)
    return f"{plural(days, 'day')} {hours} h" if hours else plural(days, "day")
