"""`run_node`: what every console-script entry point does: init rclpy, build the node, spin it on a
MultiThreadedExecutor, and shut down cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from mono_depth_ros.errors import MonoDepthError

__all__ = ["EXIT_CONFIG_ERROR", "EXIT_OK", "SPIN_PERIOD_S", "run_node"]

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2
"""The node could not start: a bad parameter, a checkpoint that does not load (one line on stderr)."""
SPIN_PERIOD_S = 0.1
"""How often an idle spin loop looks for a stop request (the longest a signal waits to be acted on)."""


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (the previous handlers come back afterwards)."""
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in signums}
    for signum in signums:
        signal.signal(signum, lambda *_: stop.set())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_node(node_factory: Callable[[list[str] | None], Node], args: list[str] | None = None) -> int:
    """Run the node `node_factory(args)` builds until SIGINT/SIGTERM; the exit code.

    `args` are the command-line arguments (None: sys.argv), `--ros-args ...` included. The signals set a stop flag
    that the spin loop checks (rather than rclpy's handlers, which shut the context down under a spinning executor
    and can make it raise), then the node is destroyed and rclpy shut down: exit code 0. EXIT_CONFIG_ERROR (2), with
    one line on stderr, when the factory raises a MonoDepthError (a bad parameter, a checkpoint that does not load).
    Must run on the main thread (signal handlers).
    """
    stop = threading.Event()
    with _stop_on_signals(stop):
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
        executor = MultiThreadedExecutor()
        node: Node | None = None
        try:
            try:
                node = node_factory(args)
            except MonoDepthError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_CONFIG_ERROR
            executor.add_node(node)
            with contextlib.suppress(KeyboardInterrupt, ExternalShutdownException):
                while not stop.is_set() and rclpy.ok():
                    executor.spin_once(timeout_sec=SPIN_PERIOD_S)
            return EXIT_OK
        finally:
            executor.shutdown()
            if node is not None:
                node.destroy_node()
            rclpy.try_shutdown()
