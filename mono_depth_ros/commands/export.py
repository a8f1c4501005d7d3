"""`mono-depth-ros export`: export a checkpoint's depth network to ONNX with dynamic batch, height and width."""

from __future__ import annotations

import argparse
from pathlib import Path

from mono_depth_ros.commands.options import positive_int
from mono_depth_ros.errors import ConfigError

EXPORTERS = ("torchscript", "dynamo")
"""Kept equal to core.models.onnx_export.EXPORTERS (not imported here: it would load torch for --help)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a checkpoint's depth network to ONNX (dynamic batch, height and width)",
        description="Write the depth network of a checkpoint as an ONNX model with dynamic batch, height and width. "
        "Input `image`: float32 (N, 3, H, W) RGB in [0, 1], H and W multiples of 32 and at least 64. Outputs "
        "`disparity` (N, 1, H, W: the sigmoid output) and `depth` (N, 1, H, W): in metres for stereo-trained "
        "checkpoints and those with a transferred global factor (the factor is applied in the model), relative "
        "otherwise (monocular models, and per-image-scale models whose scale CNN is not exported). The model's "
        "doc_string and metadata_props record which, with the factor, depth range and training size. After export "
        "the file is run with onnxruntime (CPU) against torch at two sizes (the training size, batch 1; a larger "
        "one, batch 2): the command prints the largest differences and fails, writing nothing, if the disparity "
        "differs by more than 1e-4 or the depth by more than 1e-4 relative. Needs `pip install onnx onnxruntime` "
        "(and onnxscript for --exporter dynamo).",
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file (.pt)")
    parser.add_argument("--out", type=Path, required=True, help="ONNX file to write (e.g. model.onnx)")
    parser.add_argument(
        "--opset", type=positive_int, help="ONNX opset, at least 17 (default 17 for torchscript, 18 for dynamo)"
    )
    parser.add_argument(
        "--exporter",
        choices=EXPORTERS,
        default="torchscript",
        help="torch's exporter: torchscript (default; fast, traced) or dynamo (torch.export; needs onnxscript)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that `mono-depth-ros --help` stays fast (torch and onnx are heavy).
    from mono_depth_ros.core.models import load_checkpoint
    from mono_depth_ros.core.models.onnx_export import export_onnx, require_onnx

    require_onnx(args.exporter)
    if args.out.exists() and not args.force:
        raise ConfigError(f"output {args.out} already exists (use --force to overwrite it)")
    if not args.out.parent.is_dir():
        raise ConfigError(f"output folder {args.out.parent} does not exist")
    checkpoint = load_checkpoint(args.checkpoint)
    result = export_onnx(checkpoint, args.out, exporter=args.exporter, opset=args.opset)
    print(result.format())
    return 0
