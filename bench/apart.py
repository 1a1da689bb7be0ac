"""A stand-in served from a process of its own, as the real service is: its work is not charged to the bot's process.

`apart(FakeSlack, channels=...)` starts the stand-in in a child process and gives back a proxy: reading an attribute
or calling a method of the proxy reads or calls it on the stand-in there (arguments and results are pickled).
"""

import contextlib
import multiprocessing
from collections.abc import Iterator


def _serve(factory, kwargs: dict, conn) -> None:
    with factory(**kwargs) as standin:
        conn.send(("ready", None))
        while True:
            request = conn.recv()
            if request is None:
                return
            name, args, call_kwargs = request
            try:
                value = getattr(standin, name)
                if args is not None:
                    value = value(*args, **call_kwargs)
                elif callable(value):
                    value = _Method
                conn.send(("ok", value))
            except Exception as err:  # the caller gets the stand-in's error as its own
                conn.send(("error", err))


class _Method:
    """Marks an attribute that is a method: the proxy then returns a function that calls it over there."""


class Proxy:
    def __init__(self, conn):
        self._conn = conn

    def _ask(self, name: str, args, kwargs):
        self._conn.send((name, args, kwargs))
        status, value = self._conn.recv()
        if status == "error":
            raise value
        return value

    def __getattr__(self, name: str):
        value = self._ask(name, None, None)
        if value is _Method:
            return lambda *args, **kwargs: self._ask(name, args, kwargs)
        return value


@contextlib.contextmanager
def apart(factory, **kwargs) -> Iterator[Proxy]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(factory, kwargs, child), daemon=True)
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError(f"the {factory.__name__} stand-in did not start in its own process")
        status, value = parent.recv()
        if status != "ready":
            raise value
        yield Proxy(parent)
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send(None)
        process.join(10)
        if process.is_alive():
            process.kill()
