"""Training windows from a camera's frames: pairing stereo frames by stamp, skipping frames where the camera does
not move, splitting by time into training and validation, and building triplets t - stride, t, t + stride."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Window", "moving_frames", "pair_by_stamp", "split_by_time", "triplets"]


class Window(NamedTuple):
    """Frame indices (into one bag's cached left frames) of a training sample; -1 where the mode has none."""

    target: int
    previous: int = -1
    next: int = -1
    right: int = -1
    """Index into the right camera's cached frames."""


def pair_by_stamp(left_ns: np.ndarray, right_ns: np.ndarray, tolerance_ns: int) -> np.ndarray:
    """For each left stamp, the index of the right frame with the nearest stamp within `tolerance_ns` (each right
    frame used once, by the nearest left one), else -1."""
    partner = np.full(left_ns.shape[0], -1, dtype=np.int64)
    if right_ns.shape[0] == 0 or left_ns.shape[0] == 0:
        return partner
    order = np.argsort(right_ns, kind="stable")
    sorted_right = right_ns[order]
    position = np.searchsorted(sorted_right, left_ns).clip(1, sorted_right.shape[0]) - 1
    candidates = np.stack([position, (position + 1).clip(max=sorted_right.shape[0] - 1)], axis=1)
    gaps = np.abs(sorted_right[candidates] - left_ns[:, None])
    best = candidates[np.arange(left_ns.shape[0]), gaps.argmin(axis=1)]
    gap = gaps.min(axis=1)
    taken: dict[int, tuple[int, int]] = {}
    for left_index in np.argsort(gap, kind="stable"):
        if gap[left_index] > tolerance_ns:
            break
        right_index = int(order[best[left_index]])
        if right_index not in taken:
            taken[right_index] = (int(left_index), int(gap[left_index]))
            partner[left_index] = right_index
    return partner


def moving_frames(pixels: np.ndarray, frames: np.ndarray, threshold: float) -> np.ndarray:
    """The frames (indices into `pixels`, in the given order) where the camera moved: each kept frame differs from
    the previously kept one by a mean absolute intensity difference (in [0, 1]) of at least `threshold`.

    The first frame is always kept; a stop leaves one frame, and the windows then step over it."""
    if frames.shape[0] == 0 or threshold <= 0:
        return frames
    kept = [int(frames[0])]
    # Every 2nd pixel of every 2nd row: the mean changes by far less than any useful threshold.
    last = pixels[frames[0], ::2, ::2].astype(np.int16)
    for index in frames[1:]:
        current = pixels[index, ::2, ::2].astype(np.int16)
        if np.abs(current - last).mean() / 255.0 >= threshold:
            kept.append(int(index))
            last = current
    return np.asarray(kept, dtype=np.int64)


def split_by_time(frames: np.ndarray, validation_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation): the first 1 - fraction of the time-ordered frames, and the rest."""
    count = frames.shape[0]
    held_out = round(count * validation_fraction) if validation_fraction > 0 else 0
    held_out = min(held_out, count)
    return frames[: count - held_out], frames[count - held_out :]


def triplets(frames: np.ndarray, stride: int) -> list[Window]:
    """Windows (t - stride, t, t + stride) over consecutive entries of `frames` (stride counts kept frames)."""
    return [
        Window(int(frames[i]), int(frames[i - stride]), int(frames[i + stride]))
        for i in range(stride, frames.shape[0] - stride)
    ]
