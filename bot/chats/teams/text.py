"""Teams' text rules: what people wrote is shown as written, and the domain's notices become Teams text.

A TextBlock renders a subset of Markdown, so a customer's `[Reset your password](https://evil)` or `**URGENT**`
would become a live link or bold. Everything written by a customer, an agent or a network is put in `TextRun`s of a
`RichTextBlock` instead, which Teams shows literally; links and emphasis the bot means are runs of their own.

The domain's notices are still Slack's mrkdwn (until the typed notices of #13): `<@user>` mentions, `<url|label>`
links, `<!here>`, and `&amp; &lt; &gt;` entities for the parts that are literal. `runs()` turns one into runs: a
mention into the person's name in bold, a link into a run that opens it, the rest unescaped.
"""

import html
import re
from collections.abc import Callable

MARKUP = re.compile(r"<(@[^<>|]+|![a-z]+(?:\^[^<>|]+)?(?:\|[^<>]*)?|(?:https?|mailto):[^<>|]+(?:\|[^<>]*)?)>")
BROADCASTS = {"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}


def run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def link(text: str, url: str) -> dict:
    return run(text, color="accent", selectAction={"type": "Action.OpenUrl", "url": url})


def runs(notice: str, name_of: Callable[[str], str]) -> list[dict]:
    """A domain notice (mrkdwn) as TextRuns: mentions by name, links that open, the rest as written."""
    out: list[dict] = []
    at = 0
    for match in MARKUP.finditer(notice):
        if match.start() > at:
            out.append(run(html.unescape(notice[at : match.start()])))
        token = match[1]
        if token.startswith("@"):
            out.append(run(name_of(token[1:]), weight="bolder"))
        elif token.startswith("!"):
            word, _, label = token.partition("|")
            out.append(run(label or BROADCASTS.get(word.split("^")[0], "@team"), weight="bolder"))
        else:
            url, _, label = token.partition("|")
            out.append(link(html.unescape(label or url), url))
        at = match.end()
    if at < len(notice):
        out.append(run(html.unescape(notice[at:])))
    return [r for r in out if r["text"]]


def plain(notice: str, name_of: Callable[[str], str]) -> str:
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
