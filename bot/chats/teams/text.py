"""Teams' text rules: what people wrote is shown as written, and the domain's notices become Teams text.

A TextBlock renders a subset of Markdown, so a customer's `[Reset your password](https://evil)` or `**URGENT**`
would become a live link or bold. Everything written by a customer, an agent or a network is put in `TextRun`s of a
`RichTextBlock` instead, which Teams shows literally; links and emphasis the bot means are runs of their own.

What the domain says comes as neutral parts (bot.domain.notices); `runs()` turns them into runs: a person into
their name in bold, a link into a run that opens it, emphasis in bold, a pictogram as its emoji, plain text as
written.
"""

import html
import re
from collections.abc import Callable

from bot.domain.notices import Emphasis, Icon, Link, Person, Quote, Said

EMOJI = {
    "warning": "⚠️",
    "no_entry": "⛔",
    "white_check_mark": "✅",
    "rotating_light": "🚨",
    "hourglass_flowing_sand": "⏳",
}


def run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def link(text: str, url: str) -> dict:
    return run(text, color="accent", selectAction={"type": "Action.OpenUrl", "url": url})


def runs(words: Said | str, name_of: Callable[[str], str]) -> list[dict]:
    """What the domain says as TextRuns: people by name, links that open, the rest as written (a str is plain)."""
    out = [_run(part, name_of) for part in (words.parts if isinstance(words, Said) else (words,))]
    return [r for r in out if r["text"]]


def _run(part, name_of: Callable[[str], str]) -> dict:
    match part:
        case str():
            return run(part)
        case Person(id=None):
            return run("nobody")
        case Person():
            return run(name_of(part.id), weight="bolder")
        case Link():
            return link(part.label, part.url)
        case Quote():
            return run("\n".join("> " + line for line in part.text.splitlines() or [""]))
        case Emphasis():
            return run(part.text, weight="bolder")
        case Icon():
            return run(EMOJI.get(part.name, ""))
    raise TypeError(f"not a part of what is said: {part!r}")


def plain(notice: Said | str, name_of: Callable[[str], str]) -> str:
    """A notice as plain text (a notification's summary, a log line)."""
    return "".join(r["text"] for r in runs(notice, name_of))


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def without_mention(text: str, bot_name: str | None, entities, bot_id: str | None = None) -> str:
    """A message's text with the bot's own @mention taken out (Teams puts `<at>Bot</at>` in the text, and a mention
    entity naming the bot's id), and the entities Teams escapes HTML with decoded."""
    for entity in entities or ():
        if not isinstance(entity, dict) or entity.get("type") != "mention" or not isinstance(entity.get("text"), str):
            continue
        mentioned = entity.get("mentioned") if isinstance(entity.get("mentioned"), dict) else {}
        if (bot_id and mentioned.get("id") == bot_id) or (bot_name and bot_name in entity["text"]):
            text = text.replace(entity["text"], " ")
    if bot_name:
        text = text.replace(f"<at>{bot_name}</at>", " ")
    text = re.sub(r"</?(?:p|div|span)[^>]*>", " ", text)
    text = re.sub(r"<br\s*/?>", "\n", text)
    return html.unescape(re.sub(r"[ \t]+", " ", text)).strip()
