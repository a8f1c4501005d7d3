"""What the demo leaves in its folder: input frames beside their colour-mapped depth, a point cloud as PLY, and the
metrics as JSON (all written atomically)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.plots.depth import colourise_metric_depth

__all__ = ["DemoOutputError", "depth_panel", "write_json", "write_ply", "write_png"]


class DemoOutputError(MonoDepthError):
    """A demo output that cannot be made (no points to write, an image that cannot be encoded)."""


def depth_panel(rgb: np.ndarray, depth_m: np.ndarray, *, near_m: float = 2.0, far_m: float = 80.0) -> np.ndarray:
    """(H, W, 3) uint8 camera frame above its (h, w) metric depth, colour-mapped on a fixed logarithmic 2..80 m
    scale and resized to the frame's size: (2H, W, 3) uint8 RGB."""
    height, width = rgb.shape[:2]
    coloured = colourise_metric_depth(depth_m, near_m, far_m)
    if coloured.shape[:2] != (height, width):
        coloured = cv2.resize(coloured, (width, height), interpolation=cv2.INTER_NEAREST)
    return np.concatenate([rgb, coloured], axis=0)


def write_png(path: Path, rgb: np.ndarray) -> Path:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise DemoOutputError(f"cannot encode {path.name} as PNG (image of shape {rgb.shape})")
    with atomic_write(path) as stream:
        stream.write(encoded.tobytes())
    return path


def write_ply(path: Path, points: np.ndarray, colours: np.ndarray | None = None) -> int:
    """Binary little-endian PLY of the finite (N, 3) points (metres, camera optical frame), with (N, 3) uint8 RGB
    when given; returns the number of points written."""
    xyz = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    keep = np.isfinite(xyz).all(axis=1)
    if not keep.any():
        raise DemoOutputError(f"no valid point among {xyz.shape[0]} to write to {path.name}")
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colours is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    records = np.empty(int(keep.sum()), dtype=fields)
    for axis, name in enumerate("xyz"):
        records[name] = xyz[keep, axis]
    if colours is not None:
        rgb = np.asarray(colours, dtype=np.uint8).reshape(-1, 3)[keep]
        for channel, name in enumerate(("red", "green", "blue")):
            records[name] = rgb[:, channel]
    properties = "".join(f"property {'float' if kind == '<f4' else 'uchar'} {name}\n" for name, kind in fields)
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {records.shape[0]}\n{properties}end_header\n"
    with atomic_write(path) as stream:
        stream.write(header.encode("ascii"))
        stream.write(records.tobytes())
    return int(records.shape[0])


def write_json(path: Path, values: Any) -> Path:
    """Standard JSON (a NaN or infinite number becomes null), written atomically."""
    with atomic_write(path, "w") as stream:
        json.dump(_finite(values), stream, indent=1, allow_nan=False, default=_plain)
    return path


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
