"""The bot's listener threads, counting the work in flight, so that whoever drives the bot from outside (the
sandbox's page, a test) can wait until it has handled everything it was sent, instead of guessing how long that
takes. Bolt hands a listener to the pool before it answers Slack's request, so once a request is answered, the
work it started is counted until it is done."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

LISTENER_THREADS = 16  # Bolt's default is 5: a few replies waiting on a slow X would hold up every other click


class ListenerPool(ThreadPoolExecutor):
    def __init__(self, threads: int = LISTENER_THREADS, name: str = "listener"):
        super().__init__(threads, thread_name_prefix=name)
        self.answers: ListenerPool | None = None  # where listeners hand their answers at response_url, if apart
        self._in_flight = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):
        with self._changed:
            self._in_flight += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no listener is at work, nor any answer a listener handed on (or `timeout` passed: then
        False)."""
        started = time.monotonic()
        with self._changed:
            if not self._changed.wait_for(lambda: self._in_flight == 0, timeout):
                return False
        if self.answers is None:
            return True
        return self.answers.wait_idle(None if timeout is None else max(0.0, timeout - (time.monotonic() - started)))
