"""Shared fixtures of the rclpy tests: each test that asks for `context` gets its own rclpy Context, initialised
for it and shut down after it, so nothing leaks into other tests (`ros_node` makes nodes on it); DDS stays on
loopback in a per-run domain (test/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node


@pytest.fixture
def context() -> Iterator[Context]:
    """A fresh, initialised rclpy Context, shut down after the test (nodes made on it must be destroyed first)."""
    ctx = Context()
    rclpy.init(context=ctx)
    try:
        yield ctx
    finally:
        rclpy.shutdown(context=ctx)


@pytest.fixture
def ros_node(context: Context) -> Iterator[Callable[[str], Node]]:
    """ros_node(name) -> a new node on `context`, destroyed after the test (before the context shuts down)."""
    nodes: list[Node] = []

    def make(name: str) -> Node:
        nodes.append(rclpy.create_node(name, context=context))
        return nodes[-1]

    try:
        yield make
    finally:
        for node in reversed(nodes):
            node.destroy_node()
