"""`mono-depth-ros train`: self-supervised training of the depth (and pose) networks.

    mono-depth-ros train --synthetic --mode mono --out runs/mono
    mono-depth-ros train --synthetic --stereo --mode stereo --width 320 --height 96 --out runs/stereo
    torchrun --nproc_per_node 2 -m mono_depth_ros.cli train --synthetic --out runs/ddp     (DDP, gloo on CPUs)

Renders a synthetic drive, trains on it with a progress bar (loss, steps/s, ETA), writes checkpoints and losses.csv /
validation.csv to --out, and reports Abs Rel on a held-out drive (another street), median-scaled and metric. Run
again with the same --out to resume from its newest checkpoint (raise --max-steps to train further).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mono_depth_ros.commands.options import non_negative_int, positive_float, positive_int

MODES = ("mono", "stereo", "mono_stereo", "siamese_stereo")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the depth and pose networks self-supervised (synthetic world now; bags with the next issue)",
        description="Train the depth (and pose) networks self-supervised on a freshly rendered synthetic drive: "
        "mono (frames t-1, t, t+1 and the pose net), stereo (the pair's real baseline, metric depth), mono_stereo, "
        "or siamese_stereo; two_stream, sag, scale_transfer and adaptive_scale through --config or their flags. "
        "Shows a progress bar, writes checkpoints (atomically, every checkpoint_every steps, the last "
        "keep_checkpoints kept) and losses.csv / validation.csv to --out, reports validation Abs Rel "
        "(median-scaled and metric) on a held-out drive, and resumes from the newest checkpoint in --out when "
        "run again. Defaults and every key: config/train.yaml.",
    )
    parser.add_argument("--synthetic", action="store_true", help="train on a freshly rendered synthetic drive")
    parser.add_argument("--out", type=Path, required=True, help="output folder (checkpoints, CSV logs); resumed")
    parser.add_argument("--config", type=Path, default=None, help="training YAML (unknown keys are rejected)")
    parser.add_argument("--mode", choices=MODES, default=None, help="training mode (default: the config's, mono)")
    parser.add_argument("--frames", type=positive_int, default=None, help="synthetic frames at 10 Hz (default 300)")
    parser.add_argument("--width", type=positive_int, default=None, help="training width (default 320)")
    parser.add_argument("--height", type=positive_int, default=None, help="training height (default 96)")
    parser.add_argument("--stereo", action="store_true", help="render the right camera too (baseline 0.54 m)")
    parser.add_argument("--max-steps", type=positive_int, default=None, help="train up to this step (default 2000)")
    parser.add_argument(
        "--time-limit", type=positive_float, default=None, metavar="MINUTES",
        help="also end (validate, save) after this many minutes of training in this invocation",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=None, help="samples per step and process")
    parser.add_argument("--seed", type=non_negative_int, default=None, help="run seed (default 0)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default auto)")
    for flag, text in (
        ("two-stream", "SAG two-stream network (depth stream x scale stream)"),
        ("sag", "add the scale-aware geometric loss (mono, mono_stereo)"),
        ("scale-transfer", "One Scalar: mix a source drive with ground truth into the batches, store its factor"),
        ("adaptive-scale", "fit the per-image scale CNN to Wasserstein-optimal scales after training"),
    ):
        parser.add_argument(f"--{flag}", action="store_true", default=None, help=text)
    parser.set_defaults(run=run)


def _is_main_process() -> bool:
    return os.environ.get("RANK", "0") in ("", "0")


def run(args: argparse.Namespace) -> int:
    from mono_depth_ros.core.training.config import load_training_config
    from mono_depth_ros.core.training.errors import TrainingConfigError

    if not args.synthetic:
        raise TrainingConfigError(
            "give --synthetic to train on the synthetic world (training on recorded bags arrives with the next issue)"
        )
    config = load_training_config(
        args.config,
        mode=args.mode,
        width=args.width,
        height=args.height,
        max_steps=args.max_steps,
        time_limit_minutes=args.time_limit,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        synthetic_frames=args.frames,
        two_stream=args.two_stream,
        sag=args.sag,
        scale_transfer=args.scale_transfer,
        adaptive_scale=args.adaptive_scale,
    )
    if config.uses_right and not args.stereo:
        raise TrainingConfigError(
            f"mode {config.mode.value!r} needs a right image (a stereo pair): add --stereo to render one"
        )
    # Heavy imports only now: `mono-depth-ros --help` must stay light.
    from tqdm import tqdm

    from mono_depth_ros.core.inference import resolve_device
    from mono_depth_ros.core.training.synthetic import build_synthetic_data
    from mono_depth_ros.core.training.trainer import Progress, Trainer

    main = _is_main_process()
    device = resolve_device(config.device)
    render_device = device if device.type == "cuda" else "cpu"
    with tqdm(unit="frame", desc="render", disable=None if main else True, leave=False) as bar:

        def rendered(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        data = build_synthetic_data(config, stereo=args.stereo, device=render_device, progress=rendered)

    bars: list[tqdm] = []

    def step_bar(first_step: int) -> tqdm:
        # Created at the first report, so that a resumed run's bar starts at its step (and its rate and ETA count
        # this session's steps only).
        if not bars:
            bars.append(
                tqdm(
                    total=config.max_steps,
                    initial=first_step,
                    unit="step",
                    desc=f"train {config.mode.value}",
                    disable=None if main else True,
                )
            )
        return bars[0]

    def report(progress: Progress) -> None:
        if progress.phase == "validate" and progress.validation is not None:
            (bars[0].write if bars else tqdm.write)(progress.validation.format())
            return
        bar = step_bar(progress.step - 1)
        if progress.phase == "scale_cnn":
            bar.set_postfix_str(f"scale CNN epoch {progress.epoch} mse {progress.terms['scale_cnn_mse']:.4f}")
            return
        bar.update(progress.step - bar.n)
        bar.set_postfix(loss=f"{progress.terms['total']:.4f}", epoch=progress.epoch, refresh=False)

    if main and any(args.out.glob("checkpoint-*.pt")):
        tqdm.write(f"resuming the run in {args.out}")
    trainer = Trainer(config, data.train, args.out, validation=data.validation, source=data.source, progress=report)
    try:
        result = trainer.run()
    finally:
        for bar in bars:
            bar.close()
    if main:
        for warning in result.warnings:
            print(f"mono-depth-ros train: warning: {warning}", file=sys.stderr)
        if result.validation is not None:
            metrics = result.validation
            print(
                f"validation Abs Rel at step {metrics.step}: {metrics.abs_rel_median:.4f} median-scaled, "
                f"{metrics.abs_rel_metric:.4f} metric ({metrics.metric_source.value} scale "
                f"x{metrics.metric_factor:.4g})"
            )
        print(f"checkpoint: {result.checkpoint} (step {result.step}, epoch {result.epoch})")
        print(f"learning curves: {_plot_curves(args.out)}")
    return 0


def _plot_curves(folder: Path) -> str:
    """Plot the run's logs into folder/learning_curves.png; what became of it, for the summary line."""
    from mono_depth_ros.plots import CURVES_FILE, PlotError, plot_learning_curves, read_learning_curves

    try:
        return str(plot_learning_curves(read_learning_curves(folder), folder / CURVES_FILE))
    except PlotError as error:
        return f"not plotted ({error})"
