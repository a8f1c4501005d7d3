"""`mono-depth-ros simulate`: record a drive through the synthetic world into a rosbag2."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from mono_depth_ros.commands.options import non_negative_int, positive_int
from mono_depth_ros.data.bag import DEFAULT_DISTRIBUTION, DISTRIBUTIONS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="record a synthetic drive (images, depth ground truth, odometry) into a rosbag2",
        description="Render a drive through a procedurally generated street and write it as a rosbag2: "
        "/camera/left/image_raw (or .../compressed), /camera/left/camera_info, the same under /camera/right/ with "
        "--stereo, /camera/left/depth_ground_truth (32FC1, metres), /odom (50 Hz) and /tf_static.",
    )
    parser.add_argument("--out", type=Path, required=True, help="bag folder to create (must not exist)")
    parser.add_argument("--frames", type=positive_int, default=100, help="camera frames at 10 Hz (default 100)")
    parser.add_argument("--width", type=positive_int, default=640, help="image width in pixels (default 640)")
    parser.add_argument("--height", type=positive_int, default=192, help="image height in pixels (default 192)")
    parser.add_argument("--stereo", action="store_true", help="also record the right camera (baseline 0.54 m)")
    parser.add_argument("--compressed", action="store_true", help="record jpeg CompressedImage instead of raw Image")
    parser.add_argument("--format", choices=("mcap", "sqlite3"), default="mcap", help="bag storage (default mcap)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="world and drive seed (default 0)")
    parser.add_argument(
        "--distro",
        choices=tuple(DISTRIBUTIONS),
        default=DEFAULT_DISTRIBUTION,
        help=f"ROS 2 distribution whose message definitions the bag carries (default {DEFAULT_DISTRIBUTION})",
    )
    parser.add_argument("--jpeg-quality", type=positive_int, default=90, help="with --compressed (default 90)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that `mono-depth-ros --help` stays fast (torch is heavy).
    from mono_depth_ros.data.recording import RecordingOptions, record_drive

    options = RecordingOptions(
        out=args.out,
        frames=args.frames,
        width=args.width,
        height=args.height,
        stereo=args.stereo,
        compressed=args.compressed,
        storage=args.format,
        seed=args.seed,
        distribution=args.distro,
        jpeg_quality=args.jpeg_quality,
    )
    with tqdm(total=options.frames, unit="frame", desc="simulate", disable=None) as bar:
        summary = record_drive(options, progress=lambda done: bar.update(done - bar.n))
    print(summary.format())
    return 0
