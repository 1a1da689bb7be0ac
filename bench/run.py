"""Run the benchmarks: each prints its figures, and all of them are written to bench/RESULTS.md.

    python -m bench                 # everything, about 15 minutes on 2 cores; writes bench/RESULTS.md
    python -m bench --quick         # a smoke run of each with small N (CI); writes nothing unless --output is given
    python -m bench --only mirroring,economy
    python -m bench hostile         # sections by name, as --only does

Sections: mirroring (1), economy (2), slack-limit (3), ack-latency (4), digests (5, bench/digests.py), profile (6),
hostile (7), teams (8), burst (9), ingest (10).
The exit status is 0 when every section ran, whether or not its targets were met: the figures say that.
"""

import argparse
import contextlib
import io
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ack_latency, burst, economy, hostile, ingest, mirroring, slack_limit, teams  # noqa: E402
from bench.common import Figure, machine, quiet_logs  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PROFILE_TEXT = HERE / "profile-mirroring.txt"


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def digests(quick: bool) -> list[Figure]:
    """5. bench/digests.py (another issue's benchmark), by its main(argv), if it has landed."""
    section = "5. Digests at scale"
    try:
        from bench import digests as module
    except ImportError as err:
        print(f"  bench/digests.py is missing ({err}): not measured")
        return [Figure(section, "bench/digests.py", 0, "missing", note="not measured: the file is not there")]
    argv = ["--smoke", "--json"] if quick else ["--json"]
    captured = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, captured)):
        status = module.main(argv)
    target_s = getattr(module, "TARGET_SECONDS", 1.0)
    target_mb = getattr(module, "TARGET_MB", 300)
    runs = []
    for line in reversed(captured.getvalue().splitlines()):
        if line.startswith("["):
            with contextlib.suppress(ValueError):
                runs = json.loads(line)
            break
    figures = []
    titles = {
        "digests": "daily digests (report + 14-day trend)",
        "digests_rendered": "daily digests rendered (blocks + chart)",
        "stats_30d": "/social-stats 30d (report + blocks)",
    }
    for run in runs:
        seeded = run.get("seeded", {})
        scale = f"{run.get('db')}, {seeded.get('messages', 0):,} messages in {seeded.get('cases', 0):,} cases"
        for variant in ("default", "business_hours"):
            measured = run.get(variant)
            if not measured:
                continue
            where = f"{scale}{', SLA in business hours' if variant == 'business_hours' else ''}"
            for key, title in titles.items():
                if key in measured:
                    seconds = measured[key]["median_s"]
                    figures.append(
                        Figure(
                            section,
                            f"{title}, {where}",
                            seconds,
                            "{:.3f} s median",
                            target=f"< {target_s:g} s",
                            met=seconds < target_s,
                            extra=measured[key],
                        )
                    )
            rss = measured.get("process_peak_rss_mb")
            if rss is not None:
                figures.append(
                    Figure(
                        section,
                        f"peak RSS of the measuring process, {where}",
                        rss,
                        "{:.0f} MB",
                        target=f"< {target_mb} MB",
                        met=rss < target_mb,
                    )
                )
    if not figures:
        figures.append(Figure(section, "bench/digests.py exit status", status, "{:.0f}", target="0", met=status == 0))
    return figures


def profile(quick: bool) -> list[Figure]:
    return mirroring.profile(quick, text_out=None if quick else PROFILE_TEXT)


SECTIONS = {
    "mirroring": mirroring.run,
    "economy": economy.run,
    "slack-limit": slack_limit.run,
    "ack-latency": ack_latency.run,
    "digests": digests,
    "profile": profile,
    "hostile": hostile.run,
    "teams": teams.run,
    "burst": burst.run,
    "ingest": ingest.run,
}


def run(names: list[str], quick: bool) -> tuple[list[Figure], dict[str, str], dict[str, float]]:
    figures: list[Figure] = []
    failures: dict[str, str] = {}
    durations: dict[str, float] = {}
    for name in names:
        print(f"\n== {name}{' (quick)' if quick else ''}", flush=True)
        started = time.monotonic()
        try:
            figures += SECTIONS[name](quick)
        except Exception:  # one broken section must not cost the others' figures
            failures[name] = traceback.format_exc()
            print(f"  FAILED:\n{failures[name]}", flush=True)
        durations[name] = time.monotonic() - started
        print(f"  ({durations[name]:.0f} s)", flush=True)
    return figures, failures, durations


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_results(path: Path, figures, failures, durations, *, quick: bool, started: datetime, host: str) -> None:
    total = sum(durations.values())
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {host}",
        f"- Command: `python -m bench{' --quick' if quick else ''}`; {total / 60:.1f} minutes in all",
        "- Every ratio or share below compares things measured side by side in this one run; absolute times move",
        "  with the machine's load (it is shared).",
        "",
        "| Section | Figure | Value | Target | Met |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(f"| {_cell(f.section)} | {_cell(f.name)} | {_cell(f.shown)} | {_cell(f.target)} | {met} |")
    for name, error in failures.items():
        lines.append(f"| {name} | the section failed | {_cell(error.strip().splitlines()[-1])} | | **no** |")
    lines += ["", "## How each figure was measured", ""]
    modules = {
        "1. Mirroring overhead": mirroring,
        "2. Request economy (X, Bluesky)": economy,
        "3. Under Slack's real limit": slack_limit,
        "4. Acknowledgement latency": ack_latency,
    }
    for title, module in modules.items():
        lines += [f"### {title}", "", module.__doc__.strip(), ""]
        for f in figures:
            if f.section == title and f.note:
                lines.append(f"- {f.name}: {f.note}")
        lines.append("")
    lines += [
        "### 5. Digests at scale",
        "",
        "bench/digests.py (the digests issue's benchmark), run through its `main(argv)`; see its docstring.",
        "",
        "### 6. Profile of (1)",
        "",
        "pyinstrument over one cycle of (1) (the database a SQLite file on disk). First the share of the cycle by",
        "the kind of work the samples were in (the outermost library a sample's stack entered), then the bot's",
        "heaviest calls, cumulative (they nest). The whole tree: bench/profile-mirroring.txt.",
        "",
    ]
    for f in figures:
        if f.section.startswith("6."):
            lines.append(f"- {f.name}: {f.shown}")
    lines += ["", f"### {hostile.SECTION}", "", hostile.__doc__.strip(), ""]
    lines += [f"- {f.name}: {f.note}" for f in figures if f.section == hostile.SECTION and f.note]
    lines += ["", "Section durations: " + ", ".join(f"{k} {v:.0f} s" for k, v in durations.items()), ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help="sections to run (default: all), as --only")
    parser.add_argument("--quick", action="store_true", help="a smoke run of each benchmark with small N")
    parser.add_argument("--only", help=f"comma-separated sections among: {', '.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, help="where to write the results (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in (args.only or "").split(",") if n.strip()] + args.sections
    names = chosen or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    quiet_logs()
    started, host = datetime.now(UTC), machine()
    print(f"Benchmarks{' (quick)' if args.quick else ''}, {started:%Y-%m-%d %H:%M} UTC, on {host}")
    figures, failures, durations = run(names, args.quick)
    output = args.output or (None if args.quick else RESULTS)
    if output is not None:
        write_results(output, figures, failures, durations, quick=args.quick, started=started, host=host)
        print(f"\nwritten to {output}")
    missed = [f for f in figures if f.met is False]
    print(f"\n{len(figures)} figures, {len(missed)} target(s) missed, {len(failures)} section(s) failed")
    for f in missed:
        print(f"  missed: {f.section}: {f.name}: {f.shown} (target {f.target})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
