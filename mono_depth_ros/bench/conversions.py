"""What the depth node pays per frame to read and write ROS messages, at 640x192 by default.

Cases (medians over many timed repeats after a warm-up; 90th percentiles beside them):
  (a)  sensor_msgs/Image rgb8 -> numpy, and (a') bgr8 -> RGB, which needs a channel swap
  (b)  depth (float32, some NaN) -> 32FC1 sensor_msgs/Image
  (c)  PointCloud2 (x, y, z, packed rgb) from a depth map and an RGB image, back-projection included, vectorised
       (split into its two stages below it), beside (c') the same cloud built by a per-point Python loop
       (struct.pack per point; the layout and an array.array payload, without the message wrapper, whose cost is
       microseconds next to the loop's tenths of a second).
Before anything is timed, the conversions must be faithful and the two clouds must have identical bytes and
layout; otherwise `BenchmarkError` is raised, since the timings would compare different work.
Targets (at 640x192, see `settings`): (a), (b) <= 1 ms; (c) <= 3 ms and >= 10x faster than the loop.

This module times `mono_depth_ros.ros.conversions`, so it needs the ROS message packages, but like every module
outside ros/ it does not import them itself: the per-point reference builds a plain layout and payload, and the
header comes from the ros layer. The command imports it only when it runs, so `mono-depth-ros --help` stays fast.
"""

from __future__ import annotations

import array
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.bench.settings import (
    DEFAULT_REPEATS,
    MAX_LOOP_REPEATS,
    REFERENCE_SIZE,
    TARGET_CLOUD_MS,
    TARGET_IMAGE_MS,
    TARGET_SPEEDUP,
)
from mono_depth_ros.bench.timing import Timing, measure
from mono_depth_ros.core.geometry import backproject
from mono_depth_ros.ros.conversions import (
    copy_header,
    depth_to_image,
    image_to_numpy,
    image_to_rgb,
    numpy_to_image,
    points_to_pointcloud2,
)

__all__ = [
    "LOOP_CLOUD",
    "STEPS",
    "VECTORISED_CLOUD",
    "ConversionCase",
    "ConversionsResult",
    "ReferenceCloud",
    "loop_pointcloud2",
    "make_inputs",
    "run_conversions",
]

#: Focal length in pixels at the reference width (KITTI-like); scaled with the width at other sizes.
_FOCAL_AT_REFERENCE = 350.0

VECTORISED_CLOUD = "(c) PointCloud2 xyz+rgb, vectorised"
LOOP_CLOUD = "(c') PointCloud2, per-point loop"
#: Calls of `progress` in one run: the correctness check, then each of the seven cases.
STEPS = 8


@dataclass(frozen=True)
class ConversionCase:
    """One timed conversion and its target (median milliseconds), if it has one."""

    name: str
    timing: Timing
    target_ms: float | None = None


@dataclass(frozen=True)
class ConversionsResult:
    """The conversion benchmark at one image size; the clouds were checked byte-identical (`cloud_bytes` each)."""

    width: int
    height: int
    cases: tuple[ConversionCase, ...]
    cloud_bytes: int

    @property
    def targets_judged(self) -> bool:
        return (self.width, self.height) == REFERENCE_SIZE

    def case(self, name: str) -> ConversionCase:
        for case in self.cases:
            if case.name == name:
                return case
        raise KeyError(name)

    @property
    def speedup(self) -> float:
        """How many times faster the vectorised cloud is than the per-point loop (median over median)."""
        fast = self.case(VECTORISED_CLOUD).timing.median_ms
        slow = self.case(LOOP_CLOUD).timing.median_ms
        return slow / fast if fast > 0 else float("inf")

    def missed_targets(self) -> list[str]:
        """A description of each missed target (none when the size is not the reference size)."""
        if not self.targets_judged:
            return []
        missed = [
            f"{case.name} <= {case.target_ms:g} ms (got {case.timing.median_ms:.3f})"
            for case in self.cases
            if case.target_ms is not None and case.timing.median_ms > case.target_ms
        ]
        if self.speedup < TARGET_SPEEDUP:
            missed.append(f"(c) speed-up over the loop >= {TARGET_SPEEDUP:g}x (got {self.speedup:.1f}x)")
        return missed

    def format(self) -> str:
        lines = [
            f"message conversions, {self.width}x{self.height}",
            f"{'case':40s} {'median ms':>10s} {'p90 ms':>9s} {'repeats':>8s} {'target':>10s}",
        ]
        for case in self.cases:
            verdict = ""
            if case.target_ms is not None and self.targets_judged:
                ok = case.timing.median_ms <= case.target_ms
                verdict = f"<= {case.target_ms:g} {'ok' if ok else 'MISSED'}"
            lines.append(
                f"{case.name:40s} {case.timing.median_ms:10.3f} {case.timing.p90_ms:9.3f} "
                f"{case.timing.repeats:8d} {verdict:>10s}".rstrip()
            )
        speedup = f"(c) speed-up over the per-point loop: {self.speedup:.0f}x"
        if self.targets_judged:
            speedup += f" (target >= {TARGET_SPEEDUP:g}x {'ok' if self.speedup >= TARGET_SPEEDUP else 'MISSED'})"
        lines.append(f"{speedup}; bytes and layout identical ({self.cloud_bytes} bytes each)")
        if not self.targets_judged:
            width, height = REFERENCE_SIZE
            lines.append(f"(the targets are set for {width}x{height}; not judged at {self.width}x{self.height})")
        return "\n".join(lines)


def _camera_matrix(width: int, height: int) -> tuple[float, float, float, float]:
    """fx, fy, cx, cy of a KITTI-like camera of this size (350, 350, 319.5, 95.5 at 640x192)."""
    focal = _FOCAL_AT_REFERENCE * width / REFERENCE_SIZE[0]
    return focal, focal, (width - 1) / 2.0, (height - 1) / 2.0


def make_inputs(width: int, height: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Any]:
    """A textured RGB frame, a depth map (1..60 m, ~3% NaN) and a header with a stamp and an optical frame."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:height, 0:width]
    # Gradients plus noise: every byte of the packed colour varies, so a channel mix-up cannot go unnoticed.
    red = (u * 255) // max(1, width - 1)
    green = (v * 255) // max(1, height - 1)
    rgb = np.stack([red, green, rng.integers(0, 256, u.shape)], axis=-1).astype(np.uint8)
    depth = (1.0 + 59.0 * rng.random((height, width))).astype(np.float32)
    depth[rng.random((height, width)) < 0.03] = np.nan
    header = copy_header(None)  # a std_msgs/Header, made by the ros layer
    header.frame_id = "camera_optical_frame"
    header.stamp.sec = 1_700_000_000
    return rgb, depth, header


def _f32(value: float) -> float:
    """`value` rounded to the nearest float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


#: sensor_msgs/PointField datatype FLOAT32, written out so that the reference does not share the code it checks.
_FLOAT32 = 7
#: (name, offset, datatype, count) of x, y, z and packed rgb, as the depth node publishes them.
_XYZRGB_LAYOUT = (("x", 0, _FLOAT32, 1), ("y", 4, _FLOAT32, 1), ("z", 8, _FLOAT32, 1), ("rgb", 12, _FLOAT32, 1))
#: height, width, point_step, row_step, is_dense, is_bigendian, fields: what must match besides the bytes.
CloudLayout = tuple[int, int, int, int, bool, bool, tuple[tuple[str, int, int, int], ...]]


@dataclass(frozen=True)
class ReferenceCloud:
    """What a PointCloud2 built by the per-point loop carries: its layout and its payload."""

    layout: CloudLayout
    data: array.array


def loop_pointcloud2(depth: np.ndarray, rgb: np.ndarray, camera: tuple[float, float, float, float]) -> ReferenceCloud:
    """The reference: the same organized x, y, z, rgb cloud, one point at a time in Python.

    Float32 arithmetic is reproduced exactly (the back-projection rounds to float32 after each operation, as torch
    does in float32; products of two float32 values are exact in float64 and rounded once by struct), so the bytes
    must equal the vectorised path's.
    """
    height, width = depth.shape
    fx, fy, cx, cy = (_f32(x) for x in camera)
    x_over_z = [_f32(_f32(u - cx) / fx) for u in range(width)]
    y_over_z = [_f32(_f32(v - cy) / fy) for v in range(height)]
    depth_rows = depth.tolist()
    rgb_rows = rgb.tolist()
    pack = struct.Struct("<fffI").pack
    parts = []
    for v in range(height):
        y_ratio, depth_row, rgb_row = y_over_z[v], depth_rows[v], rgb_rows[v]
        for u in range(width):
            z = depth_row[u]
            r, g, b = rgb_row[u]
            parts.append(pack(x_over_z[u] * z, y_ratio * z, z, (r << 16) | (g << 8) | b))
    # The payload ends in an array.array('B'), the type a message's uint8[] field holds, as a message would.
    data = array.array("B")
    data.frombytes(b"".join(parts))
    is_dense = bool(np.isfinite(depth).all())
    return ReferenceCloud(layout=(height, width, 16, 16 * width, is_dense, False, _XYZRGB_LAYOUT), data=data)


def _layout(msg: Any) -> CloudLayout:
    """The layout of a sensor_msgs/PointCloud2 message, comparable with `ReferenceCloud.layout`."""
    fields = tuple((f.name, f.offset, f.datatype, f.count) for f in msg.fields)
    return (msg.height, msg.width, msg.point_step, msg.row_step, msg.is_dense, msg.is_bigendian, fields)


def run_conversions(
    repeats: int = DEFAULT_REPEATS,
    width: int = REFERENCE_SIZE[0],
    height: int = REFERENCE_SIZE[1],
    *,
    progress: Callable[[str], None] | None = None,
) -> ConversionsResult:
    """Check the conversions, then time every case (`repeats` times each; the loop at most `MAX_LOOP_REPEATS`
    times). `progress` is called with each step's name (`STEPS` calls) once it is done."""

    def done(step: str) -> None:
        if progress is not None:
            progress(step)

    camera = _camera_matrix(width, height)
    rgb, depth, header = make_inputs(width, height)
    fx, fy, cx, cy = camera
    camera_matrix = torch.tensor([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]], dtype=torch.float32)
    depth_t = torch.from_numpy(depth)
    rgb_msg = numpy_to_image(rgb, "rgb8", header)
    bgr_msg = numpy_to_image(np.ascontiguousarray(rgb[..., ::-1]), "bgr8", header)

    def vectorised_cloud() -> Any:
        points = backproject(depth_t, camera_matrix).numpy()
        return points_to_pointcloud2(points, rgb, header, organized=True)

    # Correctness first: timings of conversions that do different work would mean nothing.
    if not np.array_equal(image_to_numpy(rgb_msg), rgb):
        raise BenchmarkError("Image rgb8 -> numpy does not return the pixels it was given")
    if not np.array_equal(image_to_rgb(bgr_msg), rgb):
        raise BenchmarkError("Image bgr8 -> RGB numpy does not return the pixels it was given")
    fast, slow = vectorised_cloud(), loop_pointcloud2(depth, rgb, camera)
    if _layout(fast) != slow.layout:
        raise BenchmarkError(f"vectorised and per-point PointCloud2 layouts differ: {_layout(fast)} != {slow.layout}")
    if fast.data.tobytes() != slow.data.tobytes():
        raise BenchmarkError(f"vectorised and per-point PointCloud2 bytes differ ({len(fast.data)} bytes each)")
    done("conversions check")

    points = backproject(depth_t, camera_matrix).numpy()
    warmup = max(10, repeats // 10)
    loop_repeats = min(repeats, MAX_LOOP_REPEATS)
    # (name, timed function, repeats, warm-up calls, target median ms)
    plan: list[tuple[str, Callable[[int], object], int, int, float | None]] = [
        ("(a) Image rgb8 -> numpy", lambda _: image_to_numpy(rgb_msg), repeats, warmup, TARGET_IMAGE_MS),
        ("(a') Image bgr8 -> RGB numpy", lambda _: image_to_rgb(bgr_msg), repeats, warmup, None),
        ("(b) depth -> 32FC1 Image", lambda _: depth_to_image(depth, header), repeats, warmup, TARGET_IMAGE_MS),
        (VECTORISED_CLOUD, lambda _: vectorised_cloud(), repeats, warmup, TARGET_CLOUD_MS),
        ("    of which back-projection (torch)", lambda _: backproject(depth_t, camera_matrix), repeats, warmup, None),
        (
            "    of which packing + message",
            lambda _: points_to_pointcloud2(points, rgb, header, organized=True),
            repeats,
            warmup,
            None,
        ),
        # One warm-up call is enough: the loop has no lazy state, and each call is expensive.
        (LOOP_CLOUD, lambda _: loop_pointcloud2(depth, rgb, camera), loop_repeats, 1, None),
    ]
    cases = []
    for name, fn, case_repeats, case_warmup, target_ms in plan:
        cases.append(ConversionCase(name, measure(fn, case_repeats, case_warmup), target_ms))
        done(name.strip())
    return ConversionsResult(width=width, height=height, cases=tuple(cases), cloud_bytes=len(fast.data))
