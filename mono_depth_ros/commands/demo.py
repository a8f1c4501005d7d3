"""`mono-depth-ros demo`: the main job end to end on a synthetic drive (what `make demo` runs)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mono_depth_ros.commands.options import positive_float, positive_int

CALIBRATIONS = ("stereo", "odometry", "ground")  # mono_depth_ros.demo.DEMO_CALIBRATIONS (not imported: torch)
DEFAULT_FRAMES = 200


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run depth_node and calibration_node on a synthetic drive and score their metric depth",
        description="Write a synthetic stereo drive to a bag, start depth_node and calibration_node through the "
        "package's launcher (real rclpy, DDS on loopback), replay the bag at camera rate, record what the nodes "
        "publish, and print frames in and out, output rate, latency, how the scale converged, and metric Abs Rel "
        "and delta < 1.25 against the ground truth without ground-truth scaling. --out gets the camera frames "
        "beside their colour-mapped depth (frames/), the last point cloud (points.ply), the scale over time "
        "(scale.png), metrics.json, the drive's bag and the nodes' log. The model is the bundled demo model "
        "(trained on the synthetic world only) unless --checkpoint names another.",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: demo-<date>-<time> in the current folder)"
    )
    parser.add_argument(
        "--frames", type=positive_int, default=DEFAULT_FRAMES, help=f"camera frames at 10 Hz (default {DEFAULT_FRAMES})"
    )
    parser.add_argument(
        "--calibration", choices=CALIBRATIONS, default="stereo",
        help="how calibration_node finds the scale: the stereo pair (default, converges in seconds), odometry, or "
        "the camera height above the road",
    )  # fmt: skip
    parser.add_argument("--checkpoint", type=Path, default=None, help="model to run (default: the bundled one)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument(
        "--rate", type=positive_float, default=1.0, help="replay speed (default 1: camera rate; lower for a slow CPU)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mono_depth_ros.demo import run_demo
    from mono_depth_ros.errors import ConfigError

    if args.checkpoint is not None and not args.checkpoint.is_file():
        raise ConfigError(f"--checkpoint {str(args.checkpoint)!r} does not exist")
    out = args.out or Path(time.strftime("demo-%Y%m%d-%H%M%S"))
    options = {} if args.checkpoint is None else {"checkpoint": args.checkpoint}
    with tqdm(total=None, bar_format="{desc}", disable=None, leave=False) as status:
        result = run_demo(
            out, frames=args.frames, calibration=args.calibration, device=args.device, rate=args.rate,
            progress=lambda line: status.set_description_str(f"demo: {line}"), **options,
        )  # fmt: skip
    print(result.format())
    return 0
