"""The domain's typed notices in Slack's words and markup: emoji, how a person (`<@U…>`), a user group
(`<!subteam^S…>`) or everyone (`<!here>`) is called, links as `<url|words>`."""

from bot.chats.slack.markup import literal, mention
from bot.domain.notices import SlaAlert, SlaStage


def alert_call(who: str | None) -> str:
    """ALERT_MENTION as Slack markup: @here, @channel, a user group id (S…), a user id (U… / W…)."""
    if not who:
        return ""
    who = who.strip()
    if who.lower() in ("@here", "here", "@channel", "channel", "@everyone"):
        return f"<!{who.lstrip('@').lower()}>"
    if who.startswith("S"):
        return f"<!subteam^{who}>"
    if who[:1] in ("U", "W"):
        return f"<@{who}>"
    return who


def _owner(alert: SlaAlert) -> str:
    return f" Owner: {mention(alert.owner)}." if alert.owner else " Nobody has claimed it."


def sla_in_thread(alert: SlaAlert) -> str:
    if alert.stage == SlaStage.WARNING:
        return (
            f":hourglass_flowing_sand: No public reply yet after {alert.minutes} min: the first-response "
            f"target is {alert.target_minutes} min.{_owner(alert)}"
        )
    return (
        f":rotating_light: First-response target breached: no public reply after {alert.minutes} min "
        f"(target {alert.target_minutes} min).{_owner(alert)}"
    )


def sla_in_channel(alert: SlaAlert, thread_link: str | None) -> str:
    """A breach, said in the channel too, calling ALERT_MENTION, with a link to the case's thread."""
    where = f"<{thread_link}|the case>" if thread_link else "a case"
    call = alert_call(alert.call)
    return (
        f"{call + ' ' if call else ''}:rotating_light: @{literal(alert.customer_handle)} has waited {alert.minutes} "
        f"min for a public reply, past the {alert.target_minutes}-minute target — {where}.{_owner(alert)}"
    )
