"""The digest's chart: volume, median first response and SLA attainment per day (or week), as a PNG."""

import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after the backend is chosen)

from bot.domain.metrics import Trend  # noqa: E402

VOLUME, RESPONSE, ATTAINMENT, TARGET = "#4a90d9", "#e07b39", "#2e9d5b", "#999999"


def _label(point, unit: str) -> str:
    return f"{point.first:%d %b}" if unit == "week" else f"{point.first:%a}\n{point.first:%d %b}"


def trend_png(trend: Trend) -> bytes:
    """A two-panel chart; a day with no answered case leaves a gap in the lines rather than a zero."""
    # Figure without pyplot: no global state, safe from the scheduler's and the listeners' threads.
    fig = Figure(figsize=(10, 6), dpi=100, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.2))
    xs = list(range(len(trend.points)))
    labels = [_label(p, trend.unit) for p in trend.points]

    opened = [p.opened for p in trend.points]
    bars = top.bar(xs, opened, color=VOLUME)
    top.bar_label(bars, labels=[str(n) if n else "" for n in opened], fontsize=8, padding=2)
    top.set_ylabel("Cases opened")
    top.set_ylim(0, max([*opened, 1]) * 1.2)
    top.set_title(f"Last {len(xs)} {trend.unit}s ({trend.timezone})", loc="left", fontsize=11)
    top.grid(axis="y", alpha=0.3)

    minutes = [p.median / 60 if p.median is not None else math.nan for p in trend.points]
    bottom.plot(xs, minutes, color=RESPONSE, marker="o", label="Median first response (min)")
    bottom.axhline(
        trend.sla_minutes, color=TARGET, linestyle="--", linewidth=1, label=f"Target ({trend.sla_minutes:g} min)"
    )
    bottom.set_ylabel("Minutes")
    finite = [m for m in minutes if not math.isnan(m)]
    bottom.set_ylim(0, max([*finite, trend.sla_minutes]) * 1.25)
    bottom.grid(axis="y", alpha=0.3)

    share = bottom.twinx()
    attainment = [p.attainment * 100 if p.attainment is not None else math.nan for p in trend.points]
    share.plot(xs, attainment, color=ATTAINMENT, marker="s", label="Answered within target (%)")
    share.set_ylim(0, 105)
    share.set_ylabel("Within target (%)")

    (lines, names), (more_lines, more_names) = bottom.get_legend_handles_labels(), share.get_legend_handles_labels()
    lines, names = lines + more_lines, names + more_names
    fig.legend(lines, names, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    bottom.set_xticks(xs, labels, fontsize=8)

    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
