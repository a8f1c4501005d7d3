"""ExecutorThread: a real executor spun on a daemon thread until stopped, or until its context shuts down."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from mono_depth_ros.ros.spinning import ExecutorThread

pytestmark = pytest.mark.ros


def test_spins_the_nodes_until_stopped(context: Context, ros_node: Callable[[str], Node]) -> None:
    node = ros_node("spinning_test")
    fired = threading.Event()
    node.create_timer(0.01, fired.set)
    spinner = ExecutorThread(SingleThreadedExecutor(context=context), (node,), "spinning-test")
    try:
        assert spinner.thread.name == "spinning-test"
        assert spinner.thread.daemon
        assert fired.wait(10.0)
    finally:
        spinner.stop(10.0)
    assert not spinner.thread.is_alive()


def test_a_context_shut_down_while_spinning_ends_the_thread_quietly() -> None:
    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node("spinning_shutdown_test", context=context)
    spinner = ExecutorThread(SingleThreadedExecutor(context=context), (node,), "spinning-shutdown")
    rclpy.shutdown(context=context)
    spinner.thread.join(10.0)
    assert not spinner.thread.is_alive()
    spinner.stop(1.0)
    node.destroy_node()


def test_a_failed_start_is_raised(context: Context) -> None:
    with pytest.raises(AttributeError, match=r"object"):
        ExecutorThread(SingleThreadedExecutor(context=context), (object(),), "spinning-failure")
