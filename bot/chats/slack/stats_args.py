"""The text after /social-stats, as Slack sends it: a period and an agent, in any order.

An agent comes as a mention: `<@U0123ABC>` or `<@U0123ABC|ana>` (the command escapes mentions, manifest.yml),
a bare user id `U0123ABC`, or `@ana` as typed when escaping is off, which is matched to a name later. A campaign is
one of the names given (any case, with or without a leading @, spaces allowed), found before the rest is read."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")
USER_ID = re.compile(r"[UW][A-Z0-9_]{2,}")
NAME = re.compile(r"@([\w.\-']{1,80})")
HELP = frozenset({"help", "-h", "--help", "?"})


class NeedsUsage(ValueError):
    """The text cannot be read: answer with the usage (and the reason, if any)."""


@dataclass(frozen=True)
class StatsArgs:
    period: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    campaign: str | None = None


def parse(text: str, campaigns: Iterable[str] = ()) -> StatsArgs:
    text, campaign = _campaign(text or "", campaigns)
    period = agent_id = agent_name = None
    for token in text.split():
        if token.lower() in HELP:
            raise NeedsUsage("")
        if match := MENTION.fullmatch(token) or USER_ID.fullmatch(token):
            found_id, found_name = match[1] if match.re is MENTION else match[0], None
        elif match := NAME.fullmatch(token):
            found_id, found_name = None, match[1]
        else:
            if period is not None:
                raise NeedsUsage(f"Give one period, not `{period}` and `{token}`.")
            period = token
            continue
        if agent_id or agent_name:
            raise NeedsUsage("Give one agent at a time.")
        agent_id, agent_name = found_id, found_name
    return StatsArgs(period=period, agent_id=agent_id, agent_name=agent_name, campaign=campaign)


def _campaign(text: str, campaigns: Iterable[str]) -> tuple[str, str | None]:
    """The text without the campaign named in it (the longest that matches), and that campaign."""
    for name in sorted(campaigns, key=len, reverse=True):
        match = re.search(rf"(?<!\S)@?{re.escape(name)}(?!\S)", text, re.IGNORECASE)
        if match:
            return f"{text[: match.start()]} {text[match.end() :]}", name
    return text, None
