"""How long `python -m bot sandbox` takes to be ready (stand-ins up, bot started, seeds in): `python -m
bench.sandbox_start [runs]` prints each start and the median."""

import statistics
import sys
import time

from bot.sandbox import Sandbox


def main(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        sandbox = Sandbox().start()
        times.append(time.perf_counter() - began)
        cases = len([m for m in sandbox.slack.messages("C0INBOX") if m.get("metadata")])
        sandbox.stop()
        print(f"sandbox ready in {times[-1]:.2f} s ({cases} cards in #social-inbox)", flush=True)
    print(f"median of {runs}: {statistics.median(times):.2f} s")
    return times


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
