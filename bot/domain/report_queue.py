"""Reports (the figures of a period) asked for by people in the chat, computed one at a time in a thread of their
own.

A report over a long period of a large history keeps a core busy for most of a second. Several at once, on a
machine of two cores, leave none for the requests the chat is waiting on (a click, the next command), which then
miss their few seconds. One at a time, the others wait their turn; and a question the same as one still waiting its
turn shares that one's answer: it will be computed from the same rows, after both were asked. One already being
computed is not shared, since it may have read the rows before the later question was asked."""

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

REPORT_THREADS = 1


class ReportQueue:
    def __init__(self, threads: int = REPORT_THREADS, name: str = "report"):
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self._waiting: dict[Hashable, Future] = {}
        self._lock = threading.Lock()

    def submit(self, question: Hashable, compute: Callable[[], object]) -> Future:
        """The answer to `question`, to come: shared with the same question waiting its turn, if one is."""
        with self._lock:
            if (waiting := self._waiting.get(question)) is not None:
                return waiting
            answer: Future = Future()
            self._waiting[question] = answer
        self._pool.submit(self._compute, question, compute, answer)
        return answer

    def _compute(self, question: Hashable, compute: Callable[[], object], answer: Future) -> None:
        with self._lock:
            del self._waiting[question]  # from now on the same question gets a computation of its own
        if not answer.set_running_or_notify_cancel():
            return
        try:
            answer.set_result(compute())
        except BaseException as err:  # handed to whoever waits for the answer
            answer.set_exception(err)
