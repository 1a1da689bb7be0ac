"""The main thread's wait for SIGTERM or SIGINT, after which a command stops what it started.

Python runs a signal's handler in the main thread, when that thread next runs Python code. The kernel may hand the
signal to another of the process's threads (the bot has dozens), which wakes nothing: a main thread blocked in a wait
with no timeout would never run the handler. `python -m bot sandbox` was seen still waiting 30 s after a SIGTERM, its
main thread in `Event.wait()`. So the wait wakes now and then, and a handler runs within CHECK_SECONDS."""

import signal
import threading

CHECK_SECONDS = 0.5


def stopping() -> threading.Event:
    """An event that SIGTERM and SIGINT set, from now on."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def wait(stop: threading.Event, *, serving: threading.Thread | None = None) -> None:
    """Until a signal sets `stop`, or the thread `serving` has ended (a server that stopped by itself)."""
    while not stop.wait(CHECK_SECONDS):
        if serving is not None and not serving.is_alive():
            return
