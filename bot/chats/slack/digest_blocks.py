"""Block Kit builders for the digests and /social-stats: pure functions from a metrics Report to (text, blocks)."""

from zoneinfo import ZoneInfo

from bot.chats.slack.blocks import clip, escape, within_budget
from bot.domain.metrics import Breach, Period, Report
from bot.domain.wording import DASH, duration, plural

MAX_AGENTS = 15
MAX_CAMPAIGNS = 10

USAGE = (
    "*Usage:* `/social-stats [period] [@agent] [campaign]`\n"
    "• period: `today` (the default), `yesterday`, `7d` (the last 7 days, today included), "
    "`2026-11-01`, `2026-11-01..2026-11-15`\n"
    "• `@agent`: one agent's figures (mention them, or type @name)\n"
    "• campaign: one campaign's figures (a brand account's or a tracked term's, by name)\n"
    "For example `/social-stats 7d @ana`."
)


# -- formatting -----------------------------------------------------------------------------------------


def percent(share: float | None) -> str:
    if share is None:
        return DASH
    value = round(share * 100)
    if value == 100 and share < 1:
        value = 99
    if value == 0 and share > 0:
        return "<1%"
    return f"{value}%"


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
        _context(outcomes_line(fr)),
    ]
    if fr.breached:
        lines = [breach_line(b, tz) for b in report.breaches]
        blocks.append(_lines(f"*Breached: {fr.breached:,}*", lines, fr.breached - len(lines)))
    else:
        blocks.append(_section("*Breached:* none."))
    still = f"{fr.waiting:,} of the {plural(fr.opened, 'case')} opened" if fr.waiting else "none of them"
    blocks.append(_section(f"*Still without a reply now:* {still}."))
    return blocks


def outcomes_line(fr) -> str:
    """What became of the cases opened: `5 answered (1 late) · 2 unanswered past the target · …`, zeros left out."""
    answered = f"{fr.answered:,} answered" + (f" ({fr.late:,} late)" if fr.late else "")
    parts = [
        answered,
        f"{fr.unanswered:,} unanswered past the target" if fr.unanswered else "",
        f"{fr.pending:,} waiting, not due yet" if fr.pending else "",
        f"{fr.closed:,} closed without a reply" if fr.closed else "",
    ]
    return " · ".join(p for p in parts if p)


# -- resolution -----------------------------------------------------------------------------------------


def handle_time(median: float | None) -> list[str]:
    return [] if median is None else [f"median handle time {duration(median)}"]


def agent_line(row) -> str:
    parts = [
        f"<@{row.agent}>",
        plural(row.claims, "claim"),
        plural(row.replies, "public reply", "public replies"),
        f"{row.resolved:,} resolved",
        *handle_time(row.median_handle),
    ]
    return " · ".join(parts)


def campaign_line(row) -> str:
    within = [] if row.attainment is None else [f"{percent(row.attainment)} answered within target"]
    parts = [
        f"*{escape(row.campaign or DASH)}*",
        f"{row.opened:,} opened",
        *within,
        plural(row.messages, "message"),
        f"{row.resolved:,} resolved",
        *handle_time(row.median_handle),
    ]
    return " · ".join(parts)


def network_line(row) -> str:
    """`*Bluesky* · 3 opened · 67% answered within target · 1 resolved`; the last row, all networks together."""
    within = [] if row.attainment is None else [f"{percent(row.attainment)} answered within target"]
    name = escape(row.name) if row.network else "Together"
    return " · ".join([f"*{name}*", f"{row.opened:,} opened", *within, f"{row.resolved:,} resolved"])


def context_blocks(report: Report) -> list[dict]:
    c = report.context
    if c is None or not (c.locations or c.reach or c.hashtags or c.terms):
        return []
    lines = ["*Context*"]
    if c.locations:
        lines.append("Customers write from: " + ", ".join(f"{escape(p)} ({n})" for p, n in c.locations))
    if c.reach:
        lines.append(
            "Most reach: "
            + ", ".join(f"<{r.url}|@{escape(r.handle)}> ({plural(r.followers, 'follower')})" for r in c.reach)
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
    reopened = f"{plural(r.reopened, 'case')} reopened" if r.reopened else "No case was reopened"
    blocks = [_fields(fields), _context(reopened)]
    if report.agents:
        rows = report.agents[:MAX_AGENTS]
        blocks.append(_lines("*By agent*", [agent_line(a) for a in rows], len(report.agents) - len(rows)))
    if report.networks:
        blocks.append(_lines("*By network*", [network_line(n) for n in report.networks]))
    if report.campaigns:
        rows = report.campaigns[:MAX_CAMPAIGNS]
        blocks.append(_lines("*By campaign*", [campaign_line(c) for c in rows], len(report.campaigns) - len(rows)))
    return blocks + context_blocks(report)


# -- messages -------------------------------------------------------------------------------------------


def digest(d) -> tuple[str, list[dict]]:
    """A digest message (bot.domain.digests.Digest): the SLA or the resolution figures of its period."""
    report = d.report
    weekly = d.cadence == "weekly"
    label = period_label(report.period)
    r = report.resolution
    if d.part == "sla":
        title = f"{'Weekly SLA' if weekly else 'SLA'} digest · {label}"
        text = f"{title}: {sla_summary(report, ', ')}"
        body = sla_blocks(report)
    else:
        title = f"{'Weekly resolution' if weekly else 'Resolution'} digest · {label}"
        backlog = DASH if r.backlog is None else f"{r.backlog:,}"
        rate = f" ({percent(r.rate)})" if r.rate is not None else ""
        text = f"{title}: {r.opened:,} opened, {r.resolved:,} resolved{rate}, backlog {backlog}"
        body = resolution_blocks(report)
    footer = _context(f"{report.period.timezone} · first-response target {target(report)}" + _hours(report))
    return text, within_budget([_header(title), *body, footer])


def sla_summary(report: Report, sep: str) -> str:
    """The first-response figures in one line: what a notification shows."""
    fr = report.first_response
    if not fr.opened:
        return "no cases opened"
    parts = [f"{fr.opened:,} opened"]
    if fr.attainment is not None:
        parts.append(f"{percent(fr.attainment)} answered within {target(report)}")
    if fr.median is not None:
        parts.append(f"median first response {duration(fr.median)}")
    parts.append(f"{fr.breached:,} breached")
    return sep.join(parts)


def _hours(report: Report) -> str:
    return f" ({escape(report.business_hours)})" if report.business_hours else ""


def stats_answer(report: Report) -> tuple[str, list[dict]]:
    """The answer to /social-stats: the same figures as the digests, for the period asked."""
    period = report.period
    r = report.resolution
    who = f" for <@{report.agent}>" if report.agent else ""
    if report.campaign is not None:
        who += f" in {escape(report.campaign)}"
    if period.name:
        heading = f"*{period.name[:1].upper() + period.name[1:]}*{who} ({period_label(period)}, {period.timezone})"
    else:
        heading = f"*{period_label(period)}*{who} ({period.timezone})"
    text = f"{heading}: {sla_summary(report, ' · ')} · {r.resolved:,} resolved"
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
