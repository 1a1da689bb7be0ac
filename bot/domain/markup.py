"""The chat markup the domain still writes into its notices: mentions, and text made literal.

Notices are strings of Slack's mrkdwn for now (a later neutral notice type moves all of this into the chat
adapters). Until then the rule is: every piece of text a customer or an agent wrote, or a network answered, goes
through `literal()` (or `quoted()`) exactly once, where it joins a notice; the markup the domain writes itself
(`mention()`, links) does not. So a customer's `<!channel>` or `<https://evil|Reset your password>` is shown as
written and never becomes a live mention or link, in the message or in the notification that shows its text.
"""


def literal(text: str) -> str:
    """Slack's control characters escaped: the text is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoted(text: str) -> str:
    """The text as a block quote, every line of it, literal."""
    return "\n".join("> " + line for line in literal(text).splitlines() or [""])


def mention(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"
