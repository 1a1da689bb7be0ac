"""The digest's chart: one quantity per panel, the target on the minutes axis, whole-number counts, and text that
is still readable when Slack shows the image at its preview width. The PNGs are saved for a person to look at."""

import math
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.chart import trend_figure, trend_png
from bot.domain.metrics import Trend, TrendPoint

SLACK_PREVIEW_PX = 480  # Slack shows an image inline at about 360–480 px wide
SMALLEST_READABLE_PX = 10  # a label smaller than this at the preview width is not read
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parents[1] / "screenshots"))


def trend(values, unit="day", sla=60.0) -> Trend:
    step = 7 if unit == "week" else 1
    last = date(2026, 11, 22)
    points = [
        TrendPoint(
            first=(first := last - timedelta(days=step * (len(values) - i) - 1)),
            last=first + timedelta(days=step - 1),
            opened=opened,
            median=median,
            attainment=share,
        )
        for i, (opened, median, share) in enumerate(values)
    ]
    return Trend(points=points, unit=unit, sla_minutes=sla, timezone="Europe/Madrid")


PERIODS = {
    "empty": trend([(0, None, None)] * 14),
    "normal-14-days": trend([(3 + i % 5, (20 + 3 * i) * 60, 0.8 + (i % 3) / 20) for i in range(14)]),
    "spiky": trend([(4, 30 * 60, 0.9)] * 9 + [(87, 310 * 60, 0.22), (40, 95 * 60, 0.45)] + [(5, 25 * 60, 1.0)] * 3),
    "12-weeks": trend([(30 + 7 * i % 25, (25 + i) * 60, 0.85) for i in range(12)], unit="week"),
}


@pytest.mark.parametrize("name", PERIODS)
def test_each_panel_shows_one_quantity_on_its_own_axis(name):
    t = PERIODS[name]
    fig = trend_figure(t)
    volume, response, share = fig.axes  # three panels, no second y-axis on any of them

    assert [a.get_title(loc="left") for a in fig.axes] == [
        "Cases opened",
        "Median first response (minutes)",
        "Answered within 60 min",
    ]
    fig.canvas.draw()
    counts = [tick for tick in volume.get_yticks() if volume.get_ylim()[0] <= tick <= volume.get_ylim()[1]]
    assert counts and all(float(tick).is_integer() for tick in counts), counts
    target = [line for line in response.get_lines() if line.get_linestyle() == "--"]
    assert [list(line.get_ydata()) for line in target] == [[60.0, 60.0]]  # drawn at 60 on the minutes axis
    assert response.get_ylim()[1] > 60
    assert share.get_ylim() == (0, 105) and [lbl.get_text() for lbl in share.get_yticklabels()] == ["0%", "50%", "100%"]

    SHOTS.mkdir(parents=True, exist_ok=True)
    png = SHOTS / f"chart-{name}.png"
    png.write_bytes(trend_png(t))
    with Image.open(png) as image:
        scale = SLACK_PREVIEW_PX / image.size[0]
        image.resize((SLACK_PREVIEW_PX, math.ceil(image.size[1] * scale))).save(SHOTS / f"chart-{name}-480px.png")
    for text in fig.findobj(lambda artist: hasattr(artist, "get_fontsize") and getattr(artist, "get_text", None)):
        if text.get_text().strip() and text.get_visible():
            px_at_preview = text.get_fontsize() * fig.dpi / 72 * scale
            assert px_at_preview >= SMALLEST_READABLE_PX, (text.get_text(), px_at_preview)


def test_an_empty_period_says_so_instead_of_fractional_counts():
    fig = trend_figure(PERIODS["empty"])
    fig.canvas.draw()
    shown = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))]
    assert "No cases opened" in shown and "No case answered" in shown
    assert not [t for t in fig.axes[0].get_yticklabels() if "." in t.get_text()]
