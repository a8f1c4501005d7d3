"""LogOnce: one log line per key until the key is cleared."""

from __future__ import annotations

import logging

import pytest

from mono_depth_ros.ros.log_once import LogOnce


def test_logs_each_key_once_until_cleared(caplog: pytest.LogCaptureFixture) -> None:
    log = LogOnce(logging.getLogger("log_once_test"))
    with caplog.at_level(logging.INFO, logger="log_once_test"):
        assert log.warn("encoding", "unsupported encoding 'yuv422'")
        assert not log.warn("encoding", "unsupported encoding 'yuv422'")
        assert log.error("size", "size mismatch")
        assert log.info("waiting", "waiting for depth_scale")
        assert log.active("encoding")
        assert log.clear("encoding")
        assert not log.clear("encoding")
        assert not log.active("encoding")
        assert log.warn("encoding", "unsupported encoding 'yuv422' again")
    messages = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert messages == [
        (logging.WARNING, "unsupported encoding 'yuv422'"),
        (logging.ERROR, "size mismatch"),
        (logging.INFO, "waiting for depth_scale"),
        (logging.WARNING, "unsupported encoding 'yuv422' again"),
    ]
