"""Adaptive Cards for the digests and social-stats: pure functions from a metrics Report to a message activity.
The figures are the Slack digests' (the same Report), laid out as Teams shows them best: FactSets."""

from collections.abc import Callable

from bot.chats.teams.cards import card, link, message, rich, run, small
from bot.domain.metrics import Report
from bot.domain.wording import DASH, duration, plural

MAX_ROWS = 15


def percent(share: float | None) -> str:
    if share is None:
        return DASH
    value = round(share * 100)
    value = 99 if value == 100 and share < 1 else value
    return "<1%" if value == 0 and share > 0 else f"{value}%"


def period_label(report: Report) -> str:
    p = report.period
    return f"{p.first:%a %d %b %Y}" if p.first == p.last else f"{p.first:%d %b %Y} – {p.last:%d %b %Y}"


def target(report: Report) -> str:
    text = f"{report.sla_minutes:g} min"
    return f"{text} of business time" if report.business_hours else text


def facts(pairs) -> dict:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def title(text: str) -> dict:
    return {"type": "TextBlock", "text": text, "weight": "bolder", "size": "medium", "wrap": True}


def sla_body(report: Report, name_of: Callable[[str], str]) -> list[dict]:
    fr = report.first_response
    if not fr.opened:
        return [rich(run("No cases were opened in this period."))]
    within = f"{fr.within} of {fr.decided}" if fr.decided else "none due yet"
    body = [
        facts(
            [
                ("Cases opened", f"{fr.opened:,}"),
                (f"Answered within {target(report)}", f"{percent(fr.attainment)} ({within})"),
                ("Median first response", duration(fr.median)),
                ("90th percentile", duration(fr.p90)),
                ("Breached", f"{fr.breached:,}"),
                ("Still without a reply", f"{fr.waiting:,}"),
            ]
        )
    ]
    for breach in report.breaches[:MAX_ROWS]:
        who = f"@{breach.customer_handle}" if breach.customer_handle else f"case {breach.case_id}"
        waited = ("answered after " if breach.answered else "no reply after ") + duration(breach.waited)
        body.append(small(link(who, breach.link) if breach.link else run(who), run(f" · {waited}")))
    return body


def resolution_body(report: Report, name_of: Callable[[str], str]) -> list[dict]:
    r = report.resolution
    rows = [
        ("Opened", f"{r.opened:,}"),
        ("Resolved", f"{r.resolved:,}"),
        ("Resolution rate", percent(r.rate)),
        ("Median resolution time", duration(r.median)),
    ]
    if r.backlog is not None:
        rows.append(("Backlog", f"{r.backlog:,}"))
    body = [facts(rows)]
    if report.agents:
        body.append(rich(run("By agent", weight="bolder"), spacing="medium"))
        for a in report.agents[:MAX_ROWS]:
            line = f" · {plural(a.claims, 'claim')} · {plural(a.replies, 'public reply', 'public replies')}"
            body.append(small(run(name_of(a.agent), weight="bolder"), run(f"{line} · {a.resolved:,} resolved")))
    if report.networks:
        body.append(rich(run("By network", weight="bolder"), spacing="medium"))
        body.append(facts((n.name if n.network else "Together", network_figures(n)) for n in report.networks))
    return body


def network_figures(row) -> str:
    within = "" if row.attainment is None else f" · {percent(row.attainment)} answered within target"
    return f"{row.opened:,} opened{within} · {row.resolved:,} resolved"


def digest_card(d, name_of: Callable[[str], str]) -> dict:
    """A digest (bot.domain.digests.Digest) as a message activity."""
    report = d.report
    weekly = "Weekly " if d.cadence == "weekly" else ""
    heading = f"{weekly}{'SLA' if d.part == 'sla' else 'Resolution'} digest · {period_label(report)}".strip()
    body = sla_body(report, name_of) if d.part == "sla" else resolution_body(report, name_of)
    footer = small(run(f"{report.period.timezone} · first-response target {target(report)}"))
    return message(card([title(heading[:1].upper() + heading[1:]), *body, footer]), heading)


def stats_card(report: Report, name_of: Callable[[str], str]) -> dict:
    """The answer to social-stats: the same figures as the digests, for the period asked."""
    who = f" for {name_of(report.agent)}" if report.agent else ""
    name = report.period.name
    heading = f"{name[:1].upper() + name[1:] if name else period_label(report)}{who} ({report.period.timezone})"
    body = [
        title(heading),
        rich(run("First response", weight="bolder")),
        *sla_body(report, name_of),
        rich(run("Resolution", weight="bolder"), spacing="medium"),
        *resolution_body(report, name_of),
        small(run(f"First-response target {target(report)} · social-stats help")),
    ]
    return message(card(body), heading)
