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

__all__ = ["Allocator", "BytesLike", "as_byte_array", "exact_payload", "finish_output", "new_output"]

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


def as_byte_array(data: Any, error: type[WireFormatError] = WireFormatError) -> np.ndarray:
    """A flat uint8 view of a message `data` field, without copying when the field exposes a buffer.

    rclpy gives `array.array('B')`, rosbags a uint8 numpy array, hand-built messages bytes or a list of ints.
    """
    if isinstance(data, np.ndarray):
        if data.dtype == np.uint8 and data.ndim == 1:
            return data
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except TypeError:
        pass
    # A plain sequence of ints: numpy rejects values outside 0..255 instead of wrapping them.
    try:
        return np.asarray(data, dtype=np.uint8).reshape(-1)
    except (OverflowError, TypeError, ValueError) as problem:
        raise error(f"message data must be bytes (ints in 0..255): {problem}") from None


def exact_payload(
    data: Any, expected: int, *, what: str, rule: str, error: type[WireFormatError] = WireFormatError
) -> np.ndarray:
    """`data` as a flat uint8 array that must hold exactly `expected` bytes, else `error` naming `what` and the size
    `rule` (e.g. "height*step = 2*6 = 12 for 2x2 rgb8"): short data is truncated, long data is a layout mistake."""
    buffer = as_byte_array(data, error)
    if buffer.size < expected:
        raise error(f"{what} is truncated: {buffer.size} bytes, expected {rule}")
    if buffer.size > expected:
        raise error(f"{what} has {buffer.size} bytes, more than {rule}")
    return buffer
