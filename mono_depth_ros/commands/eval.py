"""`mono-depth-ros eval`: score a checkpoint against ground-truth depth (a bag's depth topic, or KITTI) and write JSON.

The metrics, crops and scaling protocols are those of `mono_depth_ros.core.evaluation`, the one implementation the
whole package uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.commands.options import positive_float, positive_int
from mono_depth_ros.errors import ConfigError

SCALINGS = ("auto", "none", "median", "global", "fixed")
CROPS = ("auto", "none", "garg", "eigen")
DEFAULT_IMAGE_TOPIC = "/camera/left/image_raw"
DEFAULT_GT_TOPIC = "/camera/left/depth_ground_truth"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score a checkpoint against ground-truth depth (bag or KITTI) and write JSON",
        description="Run a checkpoint on frames with ground-truth depth and print the standard table (Abs Rel, Sq "
        "Rel, RMSE, RMSE log, log10, delta < 1.25, 1.25^2, 1.25^3). Data: a bag with an image topic and a 32FC1/16UC1 "
        "depth topic (paired by header stamp; `mono-depth-ros simulate` records one), or KITTI raw images with the "
        "KITTI depth-benchmark ground truth. Scaling: `none` uses the metric depth the checkpoint gives (stereo, "
        "transferred factor or per-image scale network), `median` scales each image by median(gt)/median(pred), "
        "`global` one factor over the whole set, `fixed` the --factor given; `auto` is none for metric checkpoints "
        "and median otherwise.",
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file (.pt)")
    source = parser.add_argument_group("data (a bag, or KITTI)")
    source.add_argument("--bag", type=Path, help="rosbag2 folder or file with images and ground-truth depth")
    source.add_argument("--gt-topic", help=f"bag: ground-truth depth topic (default {DEFAULT_GT_TOPIC})")
    source.add_argument("--image-topic", help=f"bag: Image or CompressedImage topic (default {DEFAULT_IMAGE_TOPIC})")
    source.add_argument("--kitti-raw", type=Path, help="KITTI raw folder (a drive, its date folder or above)")
    source.add_argument("--kitti-gt", type=Path, help="KITTI depth ground truth (proj_depth/groundtruth or above)")
    parser.add_argument("--scaling", choices=SCALINGS, default="auto", help="scaling protocol (default auto)")
    parser.add_argument("--factor", type=positive_float, help="the factor for --scaling fixed")
    parser.add_argument("--crop", choices=CROPS, default="auto", help="auto: garg for KITTI, none for bags")
    parser.add_argument("--min-depth", type=positive_float, default=1e-3, help="ground truth below is ignored")
    parser.add_argument("--max-depth", type=positive_float, default=80.0, help="depth cap in metres (default 80)")
    parser.add_argument("--max-frames", type=positive_int, help="evaluate at most this many frames")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--flip", action="store_true", help="flip post-processing (blend with the mirrored image)")
    parser.add_argument("--real-baseline", type=positive_float, help="stereo-trained models: this rig's baseline, m")
    parser.add_argument("--out", type=Path, help="JSON file to write (default eval_<checkpoint name>.json)")
    parser.set_defaults(run=run)


def _check_source(args: argparse.Namespace) -> str:
    bag_options = args.gt_topic is not None or args.image_topic is not None
    if args.bag is not None and (args.kitti_raw is not None or args.kitti_gt is not None):
        raise ConfigError("give either --bag or --kitti-raw/--kitti-gt, not both")
    if args.bag is not None:
        return "bag"
    if bag_options:
        raise ConfigError("--gt-topic and --image-topic need --bag")
    if args.kitti_raw is not None and args.kitti_gt is not None:
        return "kitti"
    if args.kitti_raw is not None or args.kitti_gt is not None:
        raise ConfigError("KITTI evaluation needs both --kitti-raw and --kitti-gt")
    raise ConfigError("no data: give --bag BAG [--gt-topic T] or --kitti-raw DIR --kitti-gt DIR")


def run(args: argparse.Namespace) -> int:
    kind = _check_source(args)
    if (args.scaling == "fixed") != (args.factor is not None):
        raise ConfigError("--factor goes with --scaling fixed, and --scaling fixed needs --factor")
    out = args.out or Path(f"eval_{args.checkpoint.stem}.json")
    if not out.parent.is_dir():
        raise ConfigError(f"--out folder {out.parent} does not exist")
    # Heavy imports here, so that `mono-depth-ros --help` stays fast.
    from mono_depth_ros.core.evaluation import (
        Crop,
        DepthEvaluator,
        EvaluationOptions,
        Scaling,
        format_metrics_table,
        resize_prediction,
    )
    from mono_depth_ros.core.inference import DepthEstimator
    from mono_depth_ros.core.models import ScaleSource, load_checkpoint

    checkpoint = load_checkpoint(args.checkpoint)
    metric = checkpoint.metric_scale.source is not ScaleSource.NONE
    estimator = DepthEstimator(checkpoint, device=args.device, flip_postprocess=args.flip)
    scaling = Scaling(("none" if metric else "median") if args.scaling == "auto" else args.scaling)
    crop = Crop(("garg" if kind == "kitti" else "none") if args.crop == "auto" else args.crop)
    options = EvaluationOptions(args.min_depth, args.max_depth, crop, scaling, args.factor)
    if scaling is Scaling.NONE and not metric:
        print(
            f"mono-depth-ros eval: warning: {args.checkpoint} carries no metric scale; with --scaling none its "
            "relative depth is scored as metres",
            file=sys.stderr,
        )
    evaluator = DepthEvaluator(options)
    frames = _bag_frames(args) if kind == "bag" else _kitti_frames(args)
    count = 0
    for rgb, gt in tqdm(frames, unit="frame", desc="eval", disable=None, leave=False):
        prediction = estimator.predict(rgb, real_baseline=args.real_baseline)
        # `none` scores the metric depth as the model gives it; the other protocols scale the relative depth.
        depth = prediction.metric_depth if scaling is Scaling.NONE else prediction.relative_depth
        if depth.shape != gt.shape:
            depth = resize_prediction(depth, *gt.shape)
        evaluator.add(gt, depth)
        count += 1
    if count == 0:
        raise ConfigError("no frame with ground truth was found")
    result = evaluator.result()
    label = f"{args.checkpoint.name} ({scaling.value})"
    print(format_metrics_table({label: result.metrics}))
    if result.ratio_median is not None:
        print(f"scale: median factor {result.ratio_median:.3f}, std {result.ratio_std:.3f} (median scaling)")
    report = {
        "checkpoint": str(args.checkpoint),
        "data": _describe_source(args, kind),
        "frames": count,
        "model_is_metric": metric,
        **result.to_dict(),
    }
    _write_json_atomically(out, report)
    print(
        f"{result.to_dict()['evaluated']} of {count} frames evaluated ({result.skipped} without ground truth); "
        f"wrote {out}"
    )
    return 0


def _bag_frames(args: argparse.Namespace) -> Iterator[tuple[object, object]]:
    from mono_depth_ros.data.bag.frames import iter_rgb_depth_pairs

    pairs = iter_rgb_depth_pairs(
        args.bag, args.image_topic or DEFAULT_IMAGE_TOPIC, args.gt_topic or DEFAULT_GT_TOPIC, max_frames=args.max_frames
    )
    for image, depth in pairs:
        yield image.pixels, depth.pixels


def _kitti_frames(args: argparse.Namespace) -> Iterator[tuple[object, object]]:
    from mono_depth_ros.core.evaluation import find_kitti_eval_files
    from mono_depth_ros.data.image_files import read_rgb_image

    for entry in find_kitti_eval_files(args.kitti_raw, args.kitti_gt)[: args.max_frames]:
        yield read_rgb_image(entry.image_path), entry.load().gt_depth


def _describe_source(args: argparse.Namespace, kind: str) -> dict[str, str]:
    if kind == "bag":
        return {
            "bag": str(args.bag),
            "image_topic": args.image_topic or DEFAULT_IMAGE_TOPIC,
            "gt_topic": args.gt_topic or DEFAULT_GT_TOPIC,
        }
    return {"kitti_raw": str(args.kitti_raw), "kitti_gt": str(args.kitti_gt)}


def _write_json_atomically(path: Path, report: dict) -> None:
    with atomic_write(path, "w") as stream:
        json.dump(report, stream, indent=2)
        stream.write("\n")
