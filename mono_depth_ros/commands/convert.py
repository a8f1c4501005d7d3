"""`mono-depth-ros convert`: import a monodepth2 model folder into a checkpoint, or slim a training checkpoint down
to what inference needs."""

from __future__ import annotations

import argparse
from pathlib import Path

from mono_depth_ros.commands.options import positive_float
from mono_depth_ros.errors import ConfigError

KITTI_BASELINE = 0.54
"""Kept equal to core.models.monodepth2.KITTI_STEREO_BASELINE (not imported here: it would load torch for --help)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="import a monodepth2 model folder into a checkpoint, or slim a training checkpoint for inference",
        description="Import a model folder written by monodepth2 (encoder.pth with its height, width and use_stereo "
        "entries, depth.pth, and optionally pose_encoder.pth + pose.pth) into one mono_depth_ros checkpoint. The "
        "ResNet depth (18, 34, 50) and the training size come from the files; the converted networks compute exactly "
        "what monodepth2's do. Models trained with stereo (use_stereo; modes S and MS) are metric: monodepth2 trains "
        "them with a 0.1 m baseline, so their depth is multiplied by --rig-baseline / 0.1; the default 0.54 m (KITTI) "
        "gives monodepth2's STEREO_SCALE_FACTOR 5.4. Monocular models (M) stay up to scale. Given a mono_depth_ros "
        "checkpoint file instead, it writes the same model without the pose network and the training state (what "
        "depth_node, calibration by reprojection, predict and export use); with --half, a ResNet-18 model is 29 MB.",
    )
    parser.add_argument(
        "folder", type=Path, metavar="SOURCE", help="monodepth2 model folder, or a mono_depth_ros checkpoint (.pt)"
    )
    parser.add_argument("out", type=Path, metavar="OUT.pt", help="checkpoint file to write")
    parser.add_argument(
        "--rig-baseline",
        type=positive_float,
        default=KITTI_BASELINE,
        help="stereo-trained models: baseline in metres of the rig their metric depth is for; the metric factor is "
        f"this / 0.1 (default {KITTI_BASELINE}, KITTI: monodepth2's STEREO_SCALE_FACTOR 5.4)",
    )
    parser.add_argument(
        "--min-depth", type=positive_float, default=0.1, help="monodepth2's --min_depth at training (default 0.1)"
    )
    parser.add_argument(
        "--max-depth", type=positive_float, default=100.0, help="monodepth2's --max_depth at training (default 100)"
    )
    parser.add_argument("--half", action="store_true", help="store the weights as fp16 (half the size; loads as fp32)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.pt if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that `mono-depth-ros --help` stays fast (torch is heavy).
    from mono_depth_ros.core.models import load_checkpoint, save_checkpoint
    from mono_depth_ros.core.models.monodepth2 import import_monodepth2

    if args.out.exists() and not args.force:
        raise ConfigError(f"output {args.out} already exists (use --force to overwrite it)")
    if not args.out.parent.is_dir():
        raise ConfigError(f"output folder {args.out.parent} does not exist")
    if args.folder.is_file():
        source = load_checkpoint(args.folder)
        save_checkpoint(source.for_inference(), args.out, half=args.half)
        print(
            f"inference checkpoint of {args.folder} (ResNet-{source.model.encoder_layers} {source.input_width}x"
            f"{source.input_height}, mode {source.training_mode.value}, step {source.step}; without pose network and "
            f"training state{', fp16' if args.half else ''}): {args.out}, {args.out.stat().st_size / 1e6:.1f} MB"
        )
        return 0
    checkpoint = import_monodepth2(
        args.folder, rig_baseline=args.rig_baseline, min_depth=args.min_depth, max_depth=args.max_depth
    )
    save_checkpoint(checkpoint, args.out, half=args.half)
    model = checkpoint.model
    networks = "depth + pose" if model.pose else "depth"
    if model.pose:
        networks += f" (pose ResNet-{model.pose_encoder_layers})"
    scale = checkpoint.metric_scale
    metric = (
        f"metric x{scale.factor:g} for a {args.rig_baseline:g} m rig"
        if scale.source.value == "stereo"
        else "relative depth (needs a scale)"
    )
    print(
        f"converted monodepth2 ResNet-{model.encoder_layers} {checkpoint.input_width}x{checkpoint.input_height}, "
        f"mode {checkpoint.training_mode.value}, {metric}, networks {networks}"
        f"{', fp16' if args.half else ''}: {args.folder} -> {args.out}"
    )
    return 0
