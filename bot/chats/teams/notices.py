"""The domain's typed notices in Teams' words: SLA alerts in the case's thread and, for a breach, a new post in
the channel calling whom ALERT_MENTION names (in Teams a name, not a live @mention: the bot's proactive posts call
nobody's attention), with a link that opens the thread."""

from bot.domain.notices import Link, Person, Said, SlaAlert, SlaStage, said

CALLS = {"@here": "@here", "here": "@here", "@channel": "@channel", "channel": "@channel"}


def _owner(alert: SlaAlert) -> Said:
    return said(" Owner: ", Person(alert.owner), ".") if alert.owner else said(" Nobody has claimed it.")


def sla_in_thread(alert: SlaAlert) -> Said:
    if alert.stage == SlaStage.WARNING:
        return said(
            f"⏳ No public reply yet after {alert.minutes} min: the first-response target is "
            f"{alert.target_minutes} min.",
            _owner(alert),
        )
    return said(
        f"🚨 First-response target breached: no public reply after {alert.minutes} min "
        f"(target {alert.target_minutes} min).",
        _owner(alert),
    )


def sla_in_channel(alert: SlaAlert, thread_link: str | None) -> Said:
    call = (alert.call or "").strip()
    call = CALLS.get(call.lower(), call)
    return said(
        f"{call + ' ' if call else ''}🚨 @{alert.customer_handle} has waited {alert.minutes} min for a public reply, "
        f"past the {alert.target_minutes}-minute target — ",
        Link(thread_link, "the case") if thread_link else "a case",
        ".",
        _owner(alert),
    )
