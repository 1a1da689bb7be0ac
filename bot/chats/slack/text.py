"""Slack's message markup turned back into the plain text a public post should carry."""

import re

LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def _plain_link(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return target


def to_plain(text: str) -> str:
    text = LINK.sub(_plain_link, text or "")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    # No post carries a NUL, and PostgreSQL cannot store one in a text column.
    return text.replace("\x00", "")
