"""Block Kit builders for the digests and /social-stats: pure functions from a metrics Report to (text, blocks)."""

from zoneinfo import ZoneInfo

from bot.blocks import clip, escape, within_budget
from bot.domain.metrics import Breach, Period, Report

MAX_AGENTS = 15
MAX_CAMPAIGNS = 10
DASH = "—"

USAGE = (
    "*Usage:* `/social-stats [period] [@agent] [campaign]`\n"
    "• period: `today` (the default), `yesterday`, `7d` (the last 7 days, today included), "
    "`2026-11-01`, `2026-11-01..2026-11-15`\n"
    "• `@agent`: one agent's figures (mention them, or type @name)\n"
    "• campaign: one campaign's figures (a brand account's or a tracked term's, by name)\n"
    "For example `/social-stats 7d @ana`."
)


# -- formatting -----------------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 59.5:
        return f"{round(seconds)}s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    hours = round(seconds / 3600)
    return f"{hours // 24}d {hours % 24}h"


def percent(share: float | None) -> str:
    if share is None:
        return DASH
    value = round(share * 100)
    if value == 100 and share < 1:
        value = 99
    if value == 0 and share > 0:
        return "<1%"
    return f"{value}%"


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def period_label(period: Period) -> str:
    if period.first == period.last:
        return f"{period.first:%a %d %b %Y}"
    if period.first.year != period.last.year:
        return f"{period.first:%d %b %Y} – {period.last:%d %b %Y}"
    return f"{period.first:%d %b} – {period.last:%d %b %Y}"


def during(period: Period) -> str:
    return f"on {period_label(period)}" if period.first == period.last else f"from {period_label(period)}"


def target(report: Report) -> str:
    text = f"{report.sla_minutes:g} min"
    return f"{text} of business time" if report.business_hours else text


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def _fields(items: list[str]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(t, 2000)} for t in items[:10]]}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def _lines(title: str, lines: list[str], more: int = 0) -> dict:
    tail = [f"…and {more:,} more"] if more > 0 else []
    return _section(clip("\n".join([title, *lines, *tail])))


# -- SLA ------------------------------------------------------------------------------------------------


def breach_line(breach: Breach, tz: ZoneInfo) -> str:
    who = f"@{escape(breach.customer_handle)}" if breach.customer_handle else f"case {breach.case_id}"
    who = f"<{breach.link}|{who}>" if breach.link else who
    opened = breach.opened_at.astimezone(tz).strftime("%a %d %b %H:%M")
    waited = (
        f"answered after {duration(breach.waited)}" if breach.answered else f"no reply after {duration(breach.waited)}"
    )
    return f"• {who} · opened {opened} · {waited}"


def sla_blocks(report: Report) -> list[dict]:
    fr = report.first_response
    tz = ZoneInfo(report.period.timezone)
    if not fr.opened:
        return [_section(f"No cases were opened {during(report.period)}.")]
    within = f"{fr.within} of {fr.decided}" if fr.decided else "none due yet"
    blocks = [
        _fields(
            [
                f"*Cases opened*\n{fr.opened:,}",
                f"*Answered within {target(report)}*\n{percent(fr.attainment)} ({within})",
                f"*Median first response*\n{duration(fr.median)}",
                f"*90th percentile*\n{duration(fr.p90)}",
            ]
        ),
        _context(
            f"{count(fr.answered, 'answered')} ({fr.late} late) · {fr.unanswered} unanswered past the target · "
            f"{fr.pending} waiting, not due yet · {fr.closed} closed without a reply"
        ),
    ]
    if fr.breached:
        lines = [breach_line(b, tz) for b in report.breaches]
        blocks.append(_lines(f"*Breached: {fr.breached:,}*", lines, fr.breached - len(lines)))
    else:
        blocks.append(_section("*Breached:* none."))
    if fr.waiting:
        blocks.append(_section(f"*Still unanswered now:* {count(fr.waiting, 'case')} of these."))
    else:
        blocks.append(_section("*Still unanswered now:* none of these."))
    return blocks


# -- resolution -----------------------------------------------------------------------------------------


def agent_line(row) -> str:
    return (
        f"<@{row.agent}> · {count(row.claims, 'claim')} · {count(row.replies, 'public reply', 'public replies')} · "
        f"{row.resolved} resolved · median handle {duration(row.median_handle)}"
    )


def campaign_line(row) -> str:
    return (
        f"*{escape(row.campaign or DASH)}* · {row.opened:,} opened · {percent(row.attainment)} within target · "
        f"{count(row.messages, 'message')} · {row.resolved} resolved · "
        f"median handle {duration(row.median_handle)}"
    )


def context_blocks(report: Report) -> list[dict]:
    c = report.context
    if c is None or not (c.locations or c.reach or c.hashtags or c.terms):
        return []
    lines = ["*Context*"]
    if c.locations:
        lines.append("Customers write from: " + ", ".join(f"{escape(p)} ({n})" for p, n in c.locations))
    if c.reach:
        lines.append(
            "Most reach: " + ", ".join(f"<{r.url}|@{escape(r.handle)}> ({r.followers:,} followers)" for r in c.reach)
        )
    if c.hashtags:
        lines.append("Hashtags: " + ", ".join(f"{escape(t)} ({n})" for t, n in c.hashtags))
    if c.terms:
        lines.append("Frequent terms: " + ", ".join(f"{escape(t)} ({n})" for t, n in c.terms))
    if c.hashtags or c.terms:
        lines.append(
            "_What customers ask most is what a saved reply answers fastest: `/social-replies add NAME TEXT`._"
        )
    return [_section("\n".join(lines))]


def resolution_blocks(report: Report) -> list[dict]:
    r = report.resolution
    if report.quiet:
        return [_section(f"Nothing happened {during(report.period)}: no case was opened, worked on or resolved.")]
    fields = [
        f"*Opened*\n{r.opened:,}",
        f"*Resolved*\n{r.resolved:,}",
        f"*Resolution rate*\n{percent(r.rate)}",
        f"*Median resolution time*\n{duration(r.median)}",
    ]
    if r.backlog is not None:
        fields.append(f"*Backlog*\n{r.backlog:,}")
    if r.messages is not None:
        per_case = DASH if r.messages_per_case is None else f"{r.messages_per_case:.1f}"
        fields.append(f"*Messages per case*\n{per_case}")
    blocks = [_fields(fields), _context(f"{count(r.reopened, 'case')} reopened")]
    if report.agents:
        rows = report.agents[:MAX_AGENTS]
        blocks.append(_lines("*By agent*", [agent_line(a) for a in rows], len(report.agents) - len(rows)))
    if report.campaigns:
        rows = report.campaigns[:MAX_CAMPAIGNS]
        blocks.append(_lines("*By campaign*", [campaign_line(c) for c in rows], len(report.campaigns) - len(rows)))
    return blocks + context_blocks(report)


# -- messages -------------------------------------------------------------------------------------------


def digest(d) -> tuple[str, list[dict]]:
    """A digest message (bot.domain.digests.Digest): the SLA or the resolution figures of its period."""
    report = d.report
    weekly = "Weekly " if d.cadence == "weekly" else ""
    label = period_label(report.period)
    fr, r = report.first_response, report.resolution
    if d.part == "sla":
        title = f"{weekly}SLA digest · {label}"
        text = (
            f"{title}: {fr.opened} opened, {percent(fr.attainment)} answered within {target(report)}, "
            f"median first response {duration(fr.median)}, {fr.breached} breached"
        )
        body = sla_blocks(report)
    else:
        title = f"{weekly}Resolution digest · {label}"
        backlog = DASH if r.backlog is None else f"{r.backlog:,}"
        text = f"{title}: {r.opened} opened, {r.resolved} resolved ({percent(r.rate)}), backlog {backlog}"
        body = resolution_blocks(report)
    footer = _context(f"{report.period.timezone} · first-response target {target(report)}" + _hours(report))
    return text, within_budget([_header(title), *body, footer])


def _hours(report: Report) -> str:
    return f" ({escape(report.business_hours)})" if report.business_hours else ""


def stats_answer(report: Report) -> tuple[str, list[dict]]:
    """The answer to /social-stats: the same figures as the digests, for the period asked."""
    period = report.period
    name = period.name[:1].upper() + period.name[1:] if period.name else "Period"
    fr, r = report.first_response, report.resolution
    who = f" for <@{report.agent}>" if report.agent else ""
    if report.campaign is not None:
        who += f" in {escape(report.campaign)}"
    heading = f"*{name}*{who} ({period_label(period)}, {period.timezone})"
    text = (
        f"{heading}: {fr.opened} opened · {percent(fr.attainment)} within {target(report)} · "
        f"median first response {duration(fr.median)} · {r.resolved} resolved"
    )
    blocks = [_section(heading)]
    if report.agent:
        blocks.append(
            _context(
                "The cases they answered first (and the unanswered ones they own), and what they claimed, "
                "answered and resolved."
            )
        )
    blocks += [_section("*First response*"), *sla_blocks(report), _section("*Resolution*"), *resolution_blocks(report)]
    blocks.append(_context(f"First-response target {target(report)}{_hours(report)} · `/social-stats help`"))
    return text, within_budget(blocks[:50])


def usage(problem: str | None = None) -> str:
    return (f"{escape(problem)}\n\n" if problem else "") + USAGE
