"""The benchmarks' quick run, so they cannot rot. It checks that every figure is produced and sane, not the targets
that depend on the machine (it is shared and noisy); the deterministic ones (X requests, dropped messages) it does."""

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import bluesky_economy
from bench import run as bench

pytestmark = pytest.mark.slow  # a minute of benchmarks, even with small numbers


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    figures, failures, durations = bench.run(list(bench.SECTIONS), quick=True)
    output = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    bench.write_results(output, figures, failures, durations, quick=True, started=datetime.now(UTC), host="ci")
    return figures, failures, output


def section(figures, prefix: str):
    found = [f for f in figures if f.section.startswith(prefix)]
    assert found, f"section {prefix} produced no figure"
    return found


def test_every_section_runs_and_is_written(quick):
    figures, failures, output = quick
    assert failures == {}
    for prefix in ("1.", "2.", "3.", "4.", "5.", "6.", "7.", "8.", "9.", "10."):
        section(figures, prefix)
    assert all(math.isfinite(f.value) for f in figures)
    text = output.read_text()
    assert "| Section | Figure | Value | Target | Met |" in text and "Machine: ci" in text


def test_mirroring_is_measured_against_the_bare_loop(quick):
    headline = section(quick[0], "1.")[0].extra
    assert headline["n"] > 0 and 0 < headline["ratio"] < 10
    assert headline["bot_per_s"] > 0 and headline["bare_per_s"] > 0


def test_x_requests_are_full_pages_and_authors_come_by_expansion(quick):
    default, floor, lookups, bluesky, bluesky_lookups = section(quick[0], "2.")
    assert lookups.value == 0 and bluesky_lookups.value == 0
    # one listNotifications per 100 mentions, one getProfiles per 25 authors: nothing per post
    assert bluesky.extra["by_method"] == {
        "app.bsky.actor.getProfiles": math.ceil(bluesky_economy.AUTHORS / 25),
        "app.bsky.notification.listNotifications": math.ceil(bluesky_economy.MENTIONS / 100),
    }
    assert floor.value <= 10.5, "without overlap, 100 mentions a request"
    m = default.extra
    assert m["posts_read"] >= m["new"] == m["posted"]
    assert m["requests"] <= math.ceil(m["posts_read"] / 100) + m["polls"], "every page full but each poll's last"


def test_nothing_is_dropped_under_slacks_limit(quick):
    figures = section(quick[0], "3.")
    for figure in figures:
        m = figure.extra
        assert m["dropped"] == 0 and m["duplicates"] == 0
        assert 0 < m["share"] <= 1.05


def test_every_request_is_answered_with_a_latency(quick):
    p50, p99, *at_scale = section(quick[0], "4.")
    m = p99.extra
    assert m["not_200"] == 0
    assert m["posted_on_x"] == m["replies"] > 0, "the slow work was done after the answer"
    assert 0 < p50.value <= p99.value < 3000, "Slack's hard limit"
    for figure in at_scale:
        assert figure.extra["not_200"] == 0 and 0 < figure.value < 3000


def test_digests_and_profile_report(quick):
    digests = section(quick[0], "5.")
    if (Path(bench.__file__).parent / "digests.py").exists():
        assert all(f.shown != "missing" for f in digests) and len(digests) > 1
    profile = section(quick[0], "6.")
    shares = [f.value for f in profile if f.fmt.endswith("of the cycle") and not f.name.startswith("in ")]
    assert 95 <= sum(shares) <= 105
    transactions = next(f for f in profile if f.name == "transactions per new mention")
    assert transactions.value > 0


def test_hostile_traffic_is_refused_cheaply_and_starves_nothing(quick):
    body, time_to_answer, *latencies = section(quick[0], "7.")[:6]
    assert body.extra["status"] == "413" and body.extra["logged_mb"] < 0.01
    assert 0 < body.value < body.extra["rss_before_mb"] + 20 and time_to_answer.value > 0
    for figure in latencies:
        assert figure.extra["unanswered"] == 0 and 0 < figure.value < 10_000
    lost = [f for f in section(quick[0], "7.") if f.name.startswith("clicks lost")]
    assert len(lost) >= 2
