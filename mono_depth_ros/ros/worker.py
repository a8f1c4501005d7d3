"""`LatestWorker`: one thread processing the newest submitted item; a newer item replaces one still waiting.

A subscription callback submits and returns at once, so callbacks never block on the network; frames that arrive
while one is processed never queue (no backlog, latency stays flat under overload).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LatestWorker"]

T = TypeVar("T")


class LatestWorker(Generic[T]):
    """Runs `process(item)` on a daemon thread for the newest item submitted; exceptions go to `on_error` and the
    thread keeps running.

    Counters: `processed` (items process() finished, successfully or not), `dropped` (items replaced while
    waiting), `failed` (items whose process() raised).
    """

    def __init__(self, process: Callable[[T], None], name: str, on_error: Callable[[BaseException], None]) -> None:
        self._process = process
        self._on_error = on_error
        self._condition = threading.Condition()
        self._pending: list[T] = []  # zero or one item
        self._busy = False
        self._stopping = False
        self.processed = 0
        self.dropped = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: T) -> bool:
        """Hand `item` to the thread, replacing one still waiting; whether an older waiting item was dropped.
        Items submitted after `stop` are dropped."""
        with self._condition:
            if self._stopping:
                self.dropped += 1
                return True
            replaced = bool(self._pending)
            if replaced:
                self.dropped += 1
            self._pending[:] = [item]
            self._condition.notify_all()
            return replaced

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being processed."""
        with self._condition:
            return not self._pending and not self._busy

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until idle (or `timeout` seconds pass); whether it became idle."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the item being processed (a waiting one is dropped) and join; whether the thread ended."""
        with self._condition:
            self._stopping = True
            if self._pending:
                self.dropped += len(self._pending)
                self._pending.clear()
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._pending or self._stopping)
                if self._stopping:
                    self._condition.notify_all()
                    return
                item = self._pending.pop()
                self._busy = True
            try:
                self._process(item)
            except Exception as exc:  # reported, and the thread serves the next item
                self.failed += 1
                # An error handler that fails must not end the thread.
                with contextlib.suppress(Exception):
                    self._on_error(exc)
            finally:
                del item  # drop the frame before waiting for the next one
                with self._condition:
                    self._busy = False
                    self.processed += 1
                    self._condition.notify_all()
