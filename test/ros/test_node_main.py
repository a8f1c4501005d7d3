"""run_node: a node process started through it exits 0 on SIGINT and on SIGTERM, and 2 with one line on stderr when
the node cannot be built."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

SCRIPT = textwrap.dedent(
    """
    import sys

    import rclpy
    from rclpy.node import Node

    from mono_depth_ros.ros.errors import ParameterError
    from mono_depth_ros.ros.node_main import run_node


    def factory(args):
        if "--fail" in (args or []):
            raise ParameterError("parameter 'mode' must be one of a, b, got 'c'")
        node = Node("run_node_test")
        # "ready" once the executor spins the node.
        timer = node.create_timer(0.01, lambda: (print("ready", flush=True), timer.cancel()))
        return node


    sys.exit(run_node(factory, sys.argv[1:]))
    """
)


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "node.py"
    script.write_text(SCRIPT)
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_exits_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    process = start(tmp_path)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_a_node_that_cannot_be_built_exits_2(tmp_path: Path) -> None:
    process = start(tmp_path, "--fail")
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert stderr.strip() == "error: parameter 'mode' must be one of a, b, got 'c'"
