"""The Agents SDK is asyncio; the bridge's services are threads. One event loop in a thread of its own runs every
SDK call of the process; a thread waits for its call's result (`run`), the loop never waits for a thread.

So a handler running on the loop must hand any call of the domain (which may call the chat back) to a thread
(`asyncio.to_thread`), never call it in the loop: that would wait for itself."""

import asyncio
import threading
from collections.abc import Coroutine


class SdkLoop:
    def __init__(self, name: str = "teams-sdk"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def run(self, coro: Coroutine, timeout: float | None = 60.0):
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a call waited for the SDK loop from inside it")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
