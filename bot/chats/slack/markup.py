"""What the domain says (bot.domain.notices), in Slack's mrkdwn: mentions as `<@U…>`, links as `<url|words>`,
emphasis in `*`, pictograms as `:name:`.

Every piece of plain text — whatever a customer or an agent wrote, or a network answered — goes through
`literal()` exactly once, here, where it is rendered; the markup written here does not. So a customer's `<!channel>`
or `<https://evil|Reset your password>` is shown as written and never becomes a live mention or link, in the message
or in the notification that shows its text. The domain cuts its texts before they get here, so a cut never falls
inside an entity.
"""

from bot.domain.notices import Emphasis, Icon, Link, Person, Quote, Said


def literal(text: str) -> str:
    """Slack's control characters escaped: the text is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoted(text: str) -> str:
    """The text as a block quote, every line of it, literal."""
    return "\n".join("> " + line for line in literal(text).splitlines() or [""])


def mention(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


def rendered(words: Said | str | None) -> str | None:
    """What the domain says, as mrkdwn (a str is plain text); None stays None (nothing to say)."""
    if words is None:
        return None
    if isinstance(words, str):
        return literal(words)
    return "".join(_part(p) for p in words.parts)


def _part(part) -> str:
    match part:
        case str():
            return literal(part)
        case Person():
            return mention(part.id)
        case Link():
            return f"<{part.url}|{literal(part.label)}>"
        case Quote():
            return quoted(part.text)
        case Emphasis():
            return f"*{literal(part.text)}*"
        case Icon():
            return f":{part.name}:"
    raise TypeError(f"not a part of what is said: {part!r}")
