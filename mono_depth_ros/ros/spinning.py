"""`ExecutorThread`: an rclpy executor spun on a background (daemon) thread, for graphs that a test, benchmark or
tool drives from its own thread (`DepthGraph`, `GraphRecorder`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from rclpy.executors import Executor, ExternalShutdownException

__all__ = ["ExecutorThread"]


class ExecutorThread:
    """Adds `nodes` to `executor` and spins it on a daemon thread called `name` until `stop` (or until its context
    shuts down, which ends the spin quietly). A failure while starting shuts the executor down and is raised."""

    def __init__(self, executor: Executor, nodes: Iterable[Any], name: str) -> None:
        self.executor = executor
        try:
            for node in nodes:
                executor.add_node(node)
            self.thread = threading.Thread(target=self._spin, name=name, daemon=True)
            self.thread.start()
        except BaseException:
            executor.shutdown()
            raise

    def _spin(self) -> None:
        with suppress(ExternalShutdownException):
            self.executor.spin()

    def stop(self, timeout_s: float) -> None:
        """Shut the executor down and wait up to `timeout_s` seconds for the thread to end."""
        self.executor.shutdown()
        self.thread.join(timeout_s)
