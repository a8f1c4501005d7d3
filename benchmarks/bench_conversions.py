"""Message conversion benchmark at 640x192: what the depth node pays per frame to read and write ROS messages.

    .venv/bin/python benchmarks/bench_conversions.py [--repeats N] [--strict]

Cases (medians over many timed repeats after a warm-up; p90 beside them):
  (a) sensor_msgs/Image rgb8 -> numpy (and bgr8 -> RGB, which needs a channel swap)
  (b) depth (float32, some NaN) -> 32FC1 sensor_msgs/Image
  (c) PointCloud2 (x, y, z, packed rgb) from a depth map + RGB image, back-projection included, vectorised,
      beside the same message built by a per-point Python loop (struct.pack per point); both must produce
      identical bytes (checked here, every run).
Targets: (a), (b) <= 1 ms; (c) <= 3 ms and >= 10x faster than the loop. --strict exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import array
import os
import statistics
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from sensor_msgs.msg import PointCloud2, PointField
from std_msgs.msg import Header

from mono_depth_ros.core.geometry import backproject
from mono_depth_ros.ros.conversions import (
    depth_to_image,
    image_to_numpy,
    image_to_rgb,
    numpy_to_image,
    points_to_pointcloud2,
)

HEIGHT, WIDTH = 192, 640
FX, FY, CX, CY = 350.0, 350.0, 319.5, 95.5


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p90_ms: float
    repeats: int


def measure(fn: Callable[[], object], repeats: int, warmup: int) -> Timing:
    """Median and 90th percentile of `repeats` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return Timing(statistics.median(samples), samples[min(len(samples) - 1, int(0.9 * len(samples)))], repeats)


def make_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, Header]:
    """A textured RGB frame, a depth map (1..60 m, ~3% NaN) and a header."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    rgb = np.stack([(u * 255) // (WIDTH - 1), (v * 255) // (HEIGHT - 1), rng.integers(0, 256, u.shape)], axis=-1)
    depth = (1.0 + 59.0 * rng.random((HEIGHT, WIDTH))).astype(np.float32)
    depth[rng.random((HEIGHT, WIDTH)) < 0.03] = np.nan
    header = Header(frame_id="camera_optical_frame")
    header.stamp.sec = 1_700_000_000
    return rgb.astype(np.uint8), depth, header


def _f32(value: float) -> float:
    """`value` rounded to the nearest float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def loop_pointcloud2(depth: np.ndarray, rgb: np.ndarray, header: Header) -> PointCloud2:
    """The reference: the same organized x, y, z, rgb cloud, one point at a time in Python.

    Float32 arithmetic is reproduced exactly (the back-projection rounds to float32 after each operation, as torch
    does in float32; products of two float32 values are exact in float64 and rounded once by struct), so the bytes
    must equal the vectorised path's.
    """
    fx, fy, cx, cy = (_f32(x) for x in (FX, FY, CX, CY))
    x_over_z = [_f32(_f32(u - cx) / fx) for u in range(WIDTH)]
    y_over_z = [_f32(_f32(v - cy) / fy) for v in range(HEIGHT)]
    depth_rows = depth.tolist()
    rgb_rows = rgb.tolist()
    pack = struct.Struct("<fffI").pack
    parts = []
    for v in range(HEIGHT):
        y_ratio, depth_row, rgb_row = y_over_z[v], depth_rows[v], rgb_rows[v]
        for u in range(WIDTH):
            z = depth_row[u]
            r, g, b = rgb_row[u]
            parts.append(pack(x_over_z[u] * z, y_ratio * z, z, (r << 16) | (g << 8) | b))
    msg = PointCloud2(header=header, height=HEIGHT, width=WIDTH, is_bigendian=False, point_step=16)
    msg.row_step = 16 * WIDTH
    msg.fields = [PointField(name=n, offset=4 * i, datatype=PointField.FLOAT32, count=1) for i, n in enumerate("xyz")]
    msg.fields.append(PointField(name="rgb", offset=12, datatype=PointField.FLOAT32, count=1))
    msg.is_dense = bool(np.isfinite(depth).all())
    data = array.array("B")
    data.frombytes(b"".join(parts))
    msg.data = data
    return msg


def _layout(msg: PointCloud2) -> tuple[object, ...]:
    fields = tuple((f.name, f.offset, f.datatype, f.count) for f in msg.fields)
    return (msg.height, msg.width, msg.point_step, msg.row_step, msg.is_dense, msg.is_bigendian, fields)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=300, help="timed repeats of the fast cases (default 300)")
    parser.add_argument("--loop-repeats", type=int, default=5, help="timed repeats of the Python loop (default 5)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    rgb, depth, header = make_inputs()
    camera_matrix = torch.tensor([[FX, 0.0, CX], [0.0, FY, CY], [0.0, 0.0, 1.0]], dtype=torch.float32)
    rgb_msg = numpy_to_image(rgb, "rgb8", header)
    bgr_msg = numpy_to_image(np.ascontiguousarray(rgb[..., ::-1]), "bgr8", header)

    def vectorised_cloud() -> PointCloud2:
        points = backproject(torch.from_numpy(depth), camera_matrix).numpy()
        return points_to_pointcloud2(points, rgb, header, organized=True)

    # Correctness first: the cases must convert faithfully, and the two clouds must be byte-identical.
    if not np.array_equal(image_to_numpy(rgb_msg), rgb) or not np.array_equal(image_to_rgb(bgr_msg), rgb):
        print("image conversion is wrong", file=sys.stderr)
        return 2
    fast, slow = vectorised_cloud(), loop_pointcloud2(depth, rgb, header)
    if _layout(fast) != _layout(slow) or fast.data.tobytes() != slow.data.tobytes():
        print("vectorised and per-point PointCloud2 messages differ", file=sys.stderr)
        return 2

    n, warm = args.repeats, max(10, args.repeats // 10)
    depth_t = torch.from_numpy(depth)
    points = backproject(depth_t, camera_matrix).numpy()
    rows = [
        ("(a) Image rgb8 -> numpy", measure(lambda: image_to_numpy(rgb_msg), n, warm), 1.0),
        ("(a') Image bgr8 -> RGB numpy", measure(lambda: image_to_rgb(bgr_msg), n, warm), None),
        ("(b) depth -> 32FC1 Image", measure(lambda: depth_to_image(depth, header), n, warm), 1.0),
        ("(c) PointCloud2 xyz+rgb, vectorised", measure(vectorised_cloud, n, warm), 3.0),
        ("    of which back-projection (torch)", measure(lambda: backproject(depth_t, camera_matrix), n, warm), None),
        (
            "    of which packing + message",
            measure(lambda: points_to_pointcloud2(points, rgb, header, organized=True), n, warm),
            None,
        ),
        (
            "(c') PointCloud2, per-point loop",
            measure(lambda: loop_pointcloud2(depth, rgb, header), args.loop_repeats, 1),
            None,
        ),
    ]
    ratio = rows[-1][1].median_ms / rows[3][1].median_ms

    print(
        f"mono_depth_ros message conversions, {WIDTH}x{HEIGHT}, torch threads {torch.get_num_threads()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'case':40s} {'median ms':>10s} {'p90 ms':>9s} {'repeats':>8s} {'target':>10s}")
    missed = []
    for name, timing, target in rows:
        verdict = ""
        if target is not None:
            ok = timing.median_ms <= target
            verdict = f"<= {target:g} {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        print(f"{name:40s} {timing.median_ms:10.3f} {timing.p90_ms:9.3f} {timing.repeats:8d} {verdict:>10s}")
    ratio_ok = ratio >= 10.0
    if not ratio_ok:
        missed.append("(c) speed-up over the loop")
    verdict = "ok" if ratio_ok else "MISSED"
    print(f"(c) speed-up over the per-point loop: {ratio:.0f}x (target >= 10x {verdict}); bytes identical")
    if missed and args.strict:
        print(f"missed targets: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
