"""`mono-depth-ros predict`: run a checkpoint on image files or a bag and write metric depth.

For every frame it writes `<name>.npy` (float32 metres, NaN where invalid), `<name>_mm.png` (16-bit millimetres, 0
where invalid or beyond 65.535 m, as REP 118's 16UC1) and `<name>_preview.png` (inverse depth, colour-mapped).
Frames are named by the image file's stem, or for bags by the image header's stamp in nanoseconds (zero-padded).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mono_depth_ros.commands.options import positive_float, positive_int
from mono_depth_ros.errors import ConfigError

DEFAULT_IMAGE_TOPIC = "/camera/left/image_raw"
#: Digits of a nanosecond stamp up to the year 2286: file names sort in time order.
STAMP_DIGITS = 19


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="run a checkpoint on image files or a bag and write metric depth",
        description="Run a checkpoint on image files or on the images of a rosbag2 and write, for each frame, "
        "NAME.npy (float32 metres, NaN where invalid), NAME_mm.png (16-bit millimetres, 0 where invalid or beyond "
        "65.535 m) and NAME_preview.png (colour-mapped inverse depth). NAME is the image file's stem, or the image "
        "stamp in nanoseconds for bags. The metric scale is --scale if given, else what the checkpoint carries "
        "(stereo-trained, rescaled by --real-baseline when given; a transferred global factor; its per-image scale "
        "network); without any, depth stays relative and the command says so.",
    )
    parser.add_argument("images", nargs="*", type=Path, metavar="IMAGE", help="image files (png, jpeg, ...)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file (.pt)")
    parser.add_argument("--bag", type=Path, help="rosbag2 folder or file to read images from (instead of IMAGE...)")
    parser.add_argument(
        "--image-topic",
        default=DEFAULT_IMAGE_TOPIC,
        help=f"with --bag: sensor_msgs/Image or CompressedImage topic (default {DEFAULT_IMAGE_TOPIC})",
    )
    parser.add_argument("--max-frames", type=positive_int, help="with --bag: stop after this many frames")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if needed)")
    parser.add_argument("--scale", type=positive_float, help="metric scale factor (overrides the checkpoint's)")
    parser.add_argument(
        "--real-baseline", type=positive_float, help="stereo-trained checkpoints: the camera's real baseline (m)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--precision", choices=("fp32", "fp16", "bf16"), default="fp32", help="(default fp32)")
    parser.add_argument("--flip", action="store_true", help="flip post-processing (blend with the mirrored image)")
    parser.add_argument("--min-depth", type=positive_float, help="metres; nearer depth is written as invalid")
    parser.add_argument("--max-depth", type=positive_float, help="metres; farther depth is written as invalid")
    parser.set_defaults(run=run)


def _check_options(args: argparse.Namespace) -> None:
    if args.bag is None and not args.images:
        raise ConfigError("give image files or --bag BAG")
    if args.bag is not None and args.images:
        raise ConfigError(f"give image files or --bag, not both (got {len(args.images)} image(s) and --bag {args.bag})")
    if args.bag is None and args.max_frames is not None:
        raise ConfigError("--max-frames applies to --bag; give fewer image files instead")
    if args.scale is not None and args.real_baseline is not None:
        raise ConfigError("give --scale or --real-baseline, not both: --scale replaces the checkpoint's scale")
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {args.out} exists and is not a folder")
    stems: dict[str, Path] = {}
    for path in args.images:
        if path.stem in stems:
            raise ConfigError(f"images {stems[path.stem]} and {path} would both be written as {path.stem}.npy")
        stems[path.stem] = path


def _read_image_files(paths: list[Path]) -> Iterator[tuple[str, Any]]:
    """(name, RGB uint8 (H, W, 3)) per file."""
    from mono_depth_ros.data.image_files import read_rgb_image

    for path in paths:
        yield path.stem, read_rgb_image(path)


def _read_bag(bag: Path, topic: str, max_frames: int | None) -> Iterator[tuple[str, Any]]:
    """(stamp name, RGB uint8 (H, W, 3)) per Image or CompressedImage message of `topic`."""
    from mono_depth_ros.data.bag.frames import iter_rgb_frames

    for frame in iter_rgb_frames(bag, topic, max_frames=max_frames):
        yield f"{frame.stamp_ns:0{STAMP_DIGITS}d}", frame.pixels


def _frame_count(args: argparse.Namespace) -> int | None:
    if args.bag is None:
        return len(args.images)
    from mono_depth_ros.data.bag import BagError, summarise_bag

    try:
        count = summarise_bag(args.bag).count(args.image_topic)
    except BagError:
        return None  # reading the messages reports the problem
    return min(count, args.max_frames) if args.max_frames is not None else count


def write_frame(out: Path, name: str, metric_depth: Any, disparity: Any) -> None:
    """NAME.npy, NAME_mm.png and NAME_preview.png of one prediction."""
    import cv2
    import numpy as np

    from mono_depth_ros.core.wire import depth_to_16uc1_mm
    from mono_depth_ros.plots.depth import colourise_inverse_depth

    np.save(out / f"{name}.npy", metric_depth)
    _imwrite(out / f"{name}_mm.png", depth_to_16uc1_mm(metric_depth))
    preview = colourise_inverse_depth(disparity)
    _imwrite(out / f"{name}_preview.png", cv2.cvtColor(preview, cv2.COLOR_RGB2BGR))


def _imwrite(path: Path, pixels: Any) -> None:
    import cv2

    from mono_depth_ros.errors import MonoDepthError

    if not cv2.imwrite(str(path), pixels):
        raise MonoDepthError(f"cannot write {path}")


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    # Imported here so that `mono-depth-ros --help` stays fast (torch and OpenCV are heavy).
    from mono_depth_ros.core.inference import DepthEstimator

    estimator = DepthEstimator(
        args.checkpoint,
        device=args.device,
        precision=args.precision,
        flip_postprocess=args.flip,
        min_depth=args.min_depth,
        max_depth=args.max_depth,
    )
    for warning in estimator.warnings:
        print(f"mono-depth-ros predict: {warning}")
    frames = (
        _read_image_files(args.images) if args.bag is None else _read_bag(args.bag, args.image_topic, args.max_frames)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    prediction = None
    with tqdm(total=_frame_count(args), unit="frame", desc="predict", disable=None) as bar:
        for name, rgb in frames:
            prediction = estimator.predict(rgb, scale=args.scale, real_baseline=args.real_baseline)
            write_frame(args.out, name, prediction.metric_depth, prediction.disparity)
            written += 1
            bar.update()
    if prediction is None:
        raise ConfigError(f"no frames: bag {args.bag} has no messages on {args.image_topic}")
    if prediction.scale_origin.value == "per_image":
        scale = f"metric depth (per-image scale network; last frame's scale {prediction.scale:.4g})"
    elif prediction.is_metric:
        scale = f"metric depth (scale {prediction.scale:.4g}, {prediction.scale_origin.value})"
    else:
        scale = "RELATIVE depth (the checkpoint carries no metric scale; pass --scale to make it metric)"
    print(
        f"wrote {written} frame(s) of {scale} to {args.out}: "
        "NAME.npy (float32 m), NAME_mm.png (uint16 mm), NAME_preview.png"
    )
    return 0
