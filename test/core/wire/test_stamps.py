"""Header stamps as integer nanoseconds: exact for stamps a float64 cannot hold to the nanosecond."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from mono_depth_ros.core.wire import stamp_ns
from mono_depth_ros.core.wire.stamps import NS_PER_S


def header(sec: int, nanosec: int) -> SimpleNamespace:
    return SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=nanosec))


def test_stamp_ns_is_exact() -> None:
    assert stamp_ns(header(1_700_000_000, 999_999_999)) == 1_700_000_000_999_999_999
    assert stamp_ns(header(0, 0)) == 0
    assert NS_PER_S == 1_000_000_000


def test_stamp_ns_takes_numpy_fields() -> None:
    value = stamp_ns(header(np.int32(2), np.uint32(5)))
    assert value == 2_000_000_005
    assert type(value) is int
