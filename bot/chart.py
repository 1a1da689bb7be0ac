"""The digest's chart, as a PNG: per day (or week), one panel per quantity, on a shared time axis:
cases opened (bars, whole-number ticks), median first response in minutes (with the target drawn on that same
axis) and the share answered within the target (0–100 %).

Slack previews an image at about 360–480 px wide: the figure is drawn for that size (few, large labels) and at a
resolution that stays sharp when opened full size. A day with no answered case leaves a gap, never a zero."""

import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from bot.domain.metrics import Trend  # noqa: E402

VOLUME, RESPONSE, ATTAINMENT, TARGET, EMPTY = "#4a90d9", "#e07b39", "#2e9d5b", "#c0392b", "#888888"
WIDTH_IN, HEIGHT_IN, DPI = 6.0, 7.2, 160  # 960 × 1152 px; at Slack's ~480 px preview, 12 pt reads as ~13 px
FONT = 12


def _label(point, unit: str) -> str:
    return f"{point.first.day}\n{point.first:%b}" if unit == "week" else f"{point.first:%a}\n{point.first.day}"


def _span(trend: Trend) -> str:
    first, last = trend.points[0].first, trend.points[-1].last
    return f"{first:%d %b} – {last:%d %b %Y}" if first.year == last.year else f"{first:%d %b %Y} – {last:%d %b %Y}"


def _nothing(axis, text: str) -> None:
    axis.text(0.5, 0.5, text, transform=axis.transAxes, ha="center", va="center", color=EMPTY, fontsize=FONT)


def trend_png(trend: Trend) -> bytes:
    out = io.BytesIO()
    trend_figure(trend).savefig(out, format="png")
    return out.getvalue()


def trend_figure(trend: Trend) -> Figure:
    # Figure without pyplot: no global state, safe from the scheduler's and the listeners' threads.
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    volume, response, share = fig.subplots(3, 1, sharex=True, height_ratios=(1, 1.1, 1.1))
    points = trend.points
    xs = list(range(len(points)))
    target = trend.sla_minutes
    fig.suptitle(
        f"Last {len(xs)} {trend.unit}s · {_span(trend)} ({trend.timezone})", fontsize=FONT + 1, x=0.02, ha="left"
    )

    opened = [p.opened for p in points]
    bars = volume.bar(xs, opened, color=VOLUME, width=0.7)
    volume.bar_label(bars, labels=[str(n) if n else "" for n in opened], fontsize=FONT - 2, padding=1)
    volume.set_title("Cases opened", loc="left", fontsize=FONT, fontweight="bold")
    volume.set_ylim(0, max([*opened, 1]) * 1.3)
    volume.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True, min_n_ticks=2))
    if not any(opened):
        _nothing(volume, "No cases opened")

    minutes = [p.median / 60 if p.median is not None else math.nan for p in points]
    finite = [m for m in minutes if not math.isnan(m)]
    response.plot(xs, minutes, color=RESPONSE, marker="o", linewidth=2)
    response.axhline(target, color=TARGET, linestyle="--", linewidth=1.5)
    response.set_ylim(0, max([*finite, target]) * 1.3)
    response.annotate(
        f"target {target:g} min",
        xy=(1, target),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        color=TARGET,
        fontsize=FONT - 2,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
        zorder=5,
    )
    response.set_title("Median first response (minutes)", loc="left", fontsize=FONT, fontweight="bold")
    response.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    if not finite:
        _nothing(response, "No case answered")

    within = [p.attainment * 100 if p.attainment is not None else math.nan for p in points]
    share.plot(xs, within, color=ATTAINMENT, marker="s", linewidth=2)
    share.set_ylim(0, 105)
    share.set_yticks([0, 50, 100])
    share.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    share.set_title(f"Answered within {target:g} min", loc="left", fontsize=FONT, fontweight="bold")
    if all(math.isnan(w) for w in within):
        _nothing(share, "No case due yet")

    for axis in (volume, response, share):
        axis.grid(axis="y", alpha=0.3)
        axis.tick_params(labelsize=FONT - 2)
        axis.spines[["top", "right"]].set_visible(False)
    step = 1 if len(xs) <= 14 else 2
    share.set_xticks(xs[::step], [_label(p, trend.unit) for p in points][::step], fontsize=FONT - 2)
    share.set_xlim(-0.6, len(xs) - 0.4)

    return fig
