"""The domain's typed notices in Teams' words: SLA alerts in the case's thread and, for a breach, a new post in
the channel calling whom ALERT_MENTION names (in Teams a name, not a live @mention: the bot's proactive posts call
nobody's attention), with a link that opens the thread."""

from collections.abc import Callable

from bot.domain.notices import SlaAlert, SlaStage


def _owner(alert: SlaAlert, name_of: Callable[[str], str]) -> str:
    return f" Owner: {name_of(alert.owner)}." if alert.owner else " Nobody has claimed it."


def sla_in_thread(alert: SlaAlert, name_of) -> str:
    if alert.stage == SlaStage.WARNING:
        return (
            f"⏳ No public reply yet after {alert.minutes} min: the first-response target is "
            f"{alert.target_minutes} min.{_owner(alert, name_of)}"
        )
    return (
        f"🚨 First-response target breached: no public reply after {alert.minutes} min "
        f"(target {alert.target_minutes} min).{_owner(alert, name_of)}"
    )


def sla_in_channel(alert: SlaAlert, thread_link: str | None, name_of) -> str:
    """Domain-notice markup (`<url|words>` for the link), rendered by text.runs like every notice."""
    where = f"<{thread_link}|the case>" if thread_link else "a case"
    call = (alert.call or "").strip()
    call = {"@here": "@here", "here": "@here", "@channel": "@channel", "channel": "@channel"}.get(call.lower(), call)
    handle = alert.customer_handle.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"{call + ' ' if call else ''}🚨 @{handle} has waited {alert.minutes} min for a public reply, past the "
        f"{alert.target_minutes}-minute target — {where}.{_owner(alert, name_of)}"
    )
