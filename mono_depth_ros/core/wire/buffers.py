"""Output buffers of the encoders: where packed message bytes are written.

Every encoder (`encode_image`, `pack_points`) takes an optional `allocate(nbytes)` that returns a writable,
C-contiguous buffer of exactly `nbytes` bytes; the encoder writes the payload straight into it and returns it as
`data`. A caller that must end up with a specific container (rclpy's `array.array('B')`, a rosbags uint8 ndarray)
then gets it without a second copy of the payload, and, as important on small machines, without a second fresh
megabyte-sized allocation per frame (each costs page faults). Without `allocate` the payload is returned as bytes.
"""

from __future__ import annotations

import array
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from mono_depth_ros.core.wire.errors import WireFormatError

__all__ = ["Allocator", "BytesLike", "finish_output", "new_output"]

#: What a message's `data` can be: bytes, or the writable buffer an `Allocator` returned.
BytesLike = Union[bytes, bytearray, memoryview, "array.array[int]", np.ndarray]
#: allocate(nbytes) -> a writable C-contiguous buffer of nbytes bytes.
Allocator = Callable[[int], Any]


def new_output(nbytes: int, allocate: Allocator | None) -> tuple[np.ndarray, Any]:
    """(flat writable uint8 view to fill, the buffer object to return as data, or None for "make bytes")."""
    if allocate is None:
        return np.empty(nbytes, dtype=np.uint8), None
    target = allocate(nbytes)
    view = np.frombuffer(target, dtype=np.uint8) if not isinstance(target, np.ndarray) else target.reshape(-1)
    if view.dtype != np.uint8 or view.size != nbytes or not view.flags.writeable or not view.flags.c_contiguous:
        raise WireFormatError(
            f"allocate({nbytes}) must return a writable contiguous buffer of {nbytes} bytes, got "
            f"{type(target).__name__} of {view.nbytes} bytes (writable={view.flags.writeable})"
        )
    return view, target


def finish_output(view: np.ndarray, target: Any) -> BytesLike:
    """The `data` to return: the allocated buffer, or the filled view as bytes when nothing was allocated."""
    return view.tobytes() if target is None else target
