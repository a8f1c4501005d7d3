"""`mono-depth-ros bench`: time the renderer, the ROS message conversions and inference on this machine.

Prints one machine line (what a docs/BENCHMARKS.md entry records), then each benchmark's table. The benchmark code
lives in `mono_depth_ros.bench`, so installed users (pip or colcon) can run it too.
"""

from __future__ import annotations

import argparse

from tqdm import tqdm

from mono_depth_ros.bench.settings import (
    DEFAULT_FRAMES,
    DEFAULT_INFERENCE_REPEATS,
    DEFAULT_OVERLOAD_S,
    DEFAULT_REPEATS,
    INFERENCE_IMAGE_SIZE,
    INFERENCE_NETWORK_SIZES,
    MAX_LOOP_REPEATS,
    REFERENCE_SIZE,
    TARGET_CLOUD_MS,
    TARGET_IMAGE_MS,
    TARGET_INFERENCE_RATIO,
    TARGET_MONO_FPS,
    TARGET_SPEEDUP,
    TRAINING_SIZES,
    WARM_UP_FRAMES,
)
from mono_depth_ros.commands.options import positive_float, positive_int
from mono_depth_ros.errors import ConfigError

BENCHMARKS = ("render", "conversions", "inference", "training", "node")
# Needs a trained --checkpoint, so `all` leaves it out.
MODEL_BENCHMARKS = ("calibration",)
# Records two bags at 1280x384 and times training steps at two sizes (minutes), so `all` leaves it out too.
DATA_BENCHMARKS = ("loader",)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time the synthetic renderer, the ROS message conversions and depth inference on this machine",
        description="Time the synthetic street renderer (frames/s, mono and stereo, and the world's build time) and "
        "the ROS message conversions of the depth node (Image, 32FC1 depth, PointCloud2 against a per-point Python "
        "loop, whose bytes must be identical). Prints the machine first, then each benchmark's table with its "
        f"targets, which are set for {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]}: render >= {TARGET_MONO_FPS:g} "
        f"frames/s mono; Image and depth conversions <= {TARGET_IMAGE_MS:g} ms; PointCloud2 <= {TARGET_CLOUD_MS:g} ms "
        f"and >= {TARGET_SPEEDUP:g}x faster than the loop. Inference: the end-to-end DepthEstimator on a "
        f"{INFERENCE_IMAGE_SIZE[0]}x{INFERENCE_IMAGE_SIZE[1]} uint8 image (pre-processing, network, depth at input "
        "resolution, coloured point cloud) beside the bare encoder+decoder forward, interleaved, at network sizes "
        + ", ".join(f"{w}x{h}" for w, h in INFERENCE_NETWORK_SIZES)
        + f"; end-to-end <= {TARGET_INFERENCE_RATIO:g}x the bare forward at {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]}. "
        "Training: one self-supervised step (mono, 2 source frames, 4 scales, batch 2; AMP on CUDA) at "
        + ", ".join(f"{w}x{h}" for w, h in TRAINING_SIZES)
        + f"; <= 2 s at {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]} on a CPU. Node: depth_node on a real rclpy graph, "
        "image arriving -> depth and points published against the DepthEstimator alone (<= 1.25x), then images at "
        "3x its maximum rate for --duration seconds (output rate, latency and memory must stay flat). Loader "
        "(not in all): training windows from recorded bags, raw and jpeg, cold (decoding into the frame cache) and "
        "warm, against the training step that consumes them (>= 5x).",
    )
    parser.add_argument(
        "benchmark",
        nargs="?",
        choices=(*BENCHMARKS, *MODEL_BENCHMARKS, *DATA_BENCHMARKS, "all"),
        default="all",
        help="which benchmark to run (default all)",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=None,
        help=f"conversions: timed repeats of each case (default {DEFAULT_REPEATS}; the per-point loop at most "
        f"{MAX_LOOP_REPEATS}); inference: timed pairs per network size (default {DEFAULT_INFERENCE_REPEATS}); "
        "training: timed steps per size (default 10); node: timed (node, estimator) pairs (default 20); loader: "
        "timed batches per case (default 20)",
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=None,
        help=f"render: timed frames per mode, after {WARM_UP_FRAMES} warm-up frames (default {DEFAULT_FRAMES}); "
        "loader: frames of each recorded bag (default 60)",
    )
    parser.add_argument(
        "--width",
        type=positive_int,
        default=REFERENCE_SIZE[0],
        help=f"render, conversions: image width (default {REFERENCE_SIZE[0]})",
    )
    parser.add_argument(
        "--height",
        type=positive_int,
        default=REFERENCE_SIZE[1],
        help=f"render, conversions: image height (default {REFERENCE_SIZE[1]})",
    )
    parser.add_argument(
        "--device", default="auto", help="inference: auto, cpu, cuda or cuda:N (default auto: CUDA when present)"
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="calibration: the model to calibrate (a checkpoint trained on the synthetic world, e.g. by "
        "`mono-depth-ros train --synthetic`)",
    )
    parser.add_argument(
        "--calibration",
        choices=("stereo", "odometry", "ground"),
        default="stereo",
        help="calibration: the mode the live graph runs with (default stereo); convergence runs all three",
    )
    parser.add_argument(
        "--odometry-method",
        choices=("reprojection", "pose"),
        default="reprojection",
        help="calibration: how mode odometry measures the scale in the convergence runs (calibration_node's "
        "odometry_method; default reprojection)",
    )
    parser.add_argument(
        "--live-rate",
        type=positive_float,
        default=1.0,
        help="calibration: replay rate of the live run (default 1: camera rate; lower it so a slow CPU keeps up)",
    )
    parser.add_argument(
        "--duration",
        type=positive_float,
        default=None,
        help=f"node: seconds of the overload run (default {DEFAULT_OVERLOAD_S:g})",
    )
    parser.add_argument("--threads", type=positive_int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"exit 1 when a target is missed (needs the default size, {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]})",
    )
    parser.set_defaults(run=run)


def _check_options(args: argparse.Namespace) -> None:
    """Reject options that the chosen benchmarks would silently ignore."""
    if args.benchmark == "render" and args.repeats is not None:
        raise ConfigError(
            "--repeats applies to the conversions, inference, training and node benchmarks; the renderer is timed "
            "over --frames"
        )
    if args.benchmark in ("render", "conversions") and args.device != "auto":
        raise ConfigError(
            f"--device applies to the inference, training and node benchmarks; {args.benchmark} runs on the CPU"
        )
    if args.benchmark == "calibration" and args.checkpoint is None:
        raise ConfigError("the calibration benchmark needs --checkpoint (a model trained on the synthetic world)")
    if args.benchmark != "calibration" and args.checkpoint is not None:
        raise ConfigError(f"--checkpoint applies to the calibration benchmark, not {args.benchmark}")
    if args.duration is not None and args.benchmark not in ("node", "all"):
        raise ConfigError(f"--duration applies to the node benchmark, not {args.benchmark}")
    if args.benchmark not in ("render", "loader", "all") and args.frames is not None:
        raise ConfigError(f"--frames applies to the render benchmark; {args.benchmark} is timed over --repeats")
    if (
        args.benchmark in ("inference", "training", "node", "calibration", "loader")
        and (args.width, args.height) != REFERENCE_SIZE
    ):
        sizes = {
            "inference": f"a {INFERENCE_IMAGE_SIZE[0]}x{INFERENCE_IMAGE_SIZE[1]} image at network sizes "
            + ", ".join(f"{w}x{h}" for w, h in INFERENCE_NETWORK_SIZES),
            "training": "steps at " + ", ".join(f"{w}x{h}" for w, h in TRAINING_SIZES),
            "node": f"a {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]} image and network",
            "calibration": "the checkpoint's training size",
            "loader": "windows at 320x96 and 640x192",
        }[args.benchmark]
        raise ConfigError(
            f"--width/--height apply to render and conversions; {args.benchmark} times fixed sizes ({sizes})"
        )
    size = (args.width, args.height)
    if args.strict and size != REFERENCE_SIZE:
        raise ConfigError(
            f"--strict judges targets set for {REFERENCE_SIZE[0]}x{REFERENCE_SIZE[1]}, not {args.width}x"
            f"{args.height}: drop --width/--height or --strict"
        )


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    # Imported here so that `mono-depth-ros --help` stays fast: torch, the renderer and the message packages are
    # heavy, and only the benchmarks that run are imported.
    import torch

    from mono_depth_ros.bench.errors import BenchmarkError
    from mono_depth_ros.bench.timing import machine_line

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    chosen = BENCHMARKS if args.benchmark == "all" else (args.benchmark,)
    # The machine line first, flushed, so that it leads the output even when a benchmark fails.
    print(machine_line(), flush=True)
    missed: list[str] = []
    for name in chosen:
        if name == "render":
            from mono_depth_ros.bench.render import MODES, run_render

            with tqdm(total=len(MODES), unit="step", desc="bench render", disable=None, leave=False) as bar:
                results = [
                    run_render(args.width, args.height, args.frames or DEFAULT_FRAMES, progress=lambda _: bar.update())
                ]
        elif name == "inference":
            from mono_depth_ros.bench.inference import run_inference

            with tqdm(unit="step", desc="bench inference", disable=None, leave=False) as bar:
                results = [
                    run_inference(
                        args.repeats or DEFAULT_INFERENCE_REPEATS, device=args.device, progress=lambda _: bar.update()
                    )
                ]
        elif name == "training":
            from mono_depth_ros.bench.training import DEFAULT_TRAINING_REPEATS, run_training

            sizes = tqdm(TRAINING_SIZES, unit="size", desc="bench training", disable=None, leave=False)
            results = [
                run_training(width, height, device=args.device, repeats=args.repeats or DEFAULT_TRAINING_REPEATS)
                for width, height in sizes
            ]
        elif name == "node":
            from mono_depth_ros.bench.node import run_node_overhead, run_node_overload

            with tqdm(unit="step", desc="bench node", disable=None, leave=False) as bar:
                overhead = run_node_overhead(args.repeats or 20, device=args.device, progress=lambda _: bar.update())
                overload = run_node_overload(
                    args.duration or DEFAULT_OVERLOAD_S, device=args.device, progress=lambda _: bar.update()
                )
            results = [overhead, overload]
        elif name == "loader":
            from mono_depth_ros.bench.loader import DEFAULT_LOADER_FRAMES, run_loader

            with tqdm(unit="step", desc="bench loader", disable=None, leave=False) as bar:
                results = [
                    run_loader(
                        frames=args.frames or DEFAULT_LOADER_FRAMES,
                        repeats=args.repeats or 20,
                        device=args.device,
                        progress=lambda what: bar.set_postfix_str(what),
                    )
                ]
        elif name == "calibration":
            from mono_depth_ros.bench.calibration import run_calibration_convergence, run_live_metric

            with tqdm(unit="frame", desc="bench calibration", disable=None, leave=False) as bar:
                convergence = run_calibration_convergence(
                    args.checkpoint,
                    device=args.device,
                    odometry_method=args.odometry_method,
                    progress=lambda _: bar.update(),
                )
            live = run_live_metric(
                args.checkpoint, calibration=args.calibration, rate=args.live_rate, device=args.device
            )
            results = [convergence, live]
        else:
            from mono_depth_ros.bench.conversions import STEPS, run_conversions

            with tqdm(total=STEPS, unit="step", desc="bench conversions", disable=None, leave=False) as bar:
                results = [
                    run_conversions(
                        args.repeats or DEFAULT_REPEATS, args.width, args.height, progress=lambda _: bar.update()
                    )
                ]
        for result in results:
            print()
            print(result.format(), flush=True)
            missed.extend(result.missed_targets())
    if args.strict and missed:
        raise BenchmarkError(f"missed targets: {'; '.join(missed)}")
    return 0
