"""`mono-depth-ros train`: self-supervised training of the depth (and pose) networks, on recorded bags or on the
synthetic world.

    mono-depth-ros train --bag drive.mcap --image-topic /camera/image_raw --mode mono --out runs/robot
    mono-depth-ros train --bag a --bag b --image-topic /left/image_raw --right-image-topic /right/image_raw \
        --mode mono_stereo --init runs/synthetic/checkpoint-00002000.pt --freeze-encoder --out runs/robot
    mono-depth-ros train --synthetic --mode mono --out runs/mono
    torchrun --nproc_per_node 2 -m mono_depth_ros.cli train --synthetic --out runs/ddp     (DDP, gloo on CPUs)

Shows a progress bar (loss, steps/s, ETA), writes checkpoints and losses.csv / validation CSVs to --out, and ends
with a summary. Ctrl-C saves a checkpoint and exits 0 (a second Ctrl-C aborts); the same command again resumes
from the newest checkpoint in --out (raise --max-steps to train further).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mono_depth_ros.commands.options import non_negative_int, positive_float, positive_int

MODES = ("mono", "stereo", "mono_stereo", "siamese_stereo")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the depth and pose networks self-supervised on recorded bags or the synthetic world",
        description="Train the depth (and pose) networks self-supervised on rosbag2 recordings (--bag, mcap or "
        "sqlite3) or on a freshly rendered synthetic drive (--synthetic): mono (frames t-1, t, t+1 and the pose "
        "net), stereo (the pair's real baseline, metric depth), mono_stereo, or siamese_stereo; two_stream, sag, "
        "scale_transfer and adaptive_scale through --config or their flags. Bag frames are decoded once into a "
        "cache at the training size. Shows a progress bar, writes checkpoints (atomically, every checkpoint_every "
        "steps, the last keep_checkpoints kept) and CSV logs to --out, validates on held-out data, and resumes "
        "from the newest checkpoint in --out when run again; Ctrl-C saves a checkpoint and exits 0. Defaults and "
        "every key: config/train.yaml.",
    )
    source = parser.add_argument_group("data (one of --bag or --synthetic)")
    source.add_argument(
        "--bag", type=Path, action="append", default=None, metavar="PATH",
        help="a rosbag2 folder or file to train on (repeat for several)",
    )  # fmt: skip
    source.add_argument("--image-topic", default=None, help="the (left) camera's Image or CompressedImage topic")
    source.add_argument(
        "--camera-info-topic", default=None, help="its CameraInfo topic (default: camera_info beside the image topic)"
    )
    source.add_argument("--right-image-topic", default=None, help="the right camera's image topic (stereo modes)")
    source.add_argument(
        "--right-camera-info-topic", default=None, help="its CameraInfo (default: camera_info beside it)"
    )
    source.add_argument("--odom-topic", default=None, help="nav_msgs/Odometry, interpolated at the frames (summary)")
    source.add_argument(
        "--depth-topic", default=None, help="ground-truth depth of the left camera (32FC1/16UC1): validation Abs Rel"
    )
    source.add_argument("--cache-dir", type=Path, default=None, help="decoded-frame cache (default ~/.cache/...)")
    source.add_argument("--synthetic", action="store_true", help="train on a freshly rendered synthetic drive")
    source.add_argument("--frames", type=positive_int, default=None, help="synthetic frames at 10 Hz (default 300)")
    source.add_argument("--stereo", action="store_true", help="synthetic: render the right camera (baseline 0.54 m)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (checkpoints, CSV logs); resumed")
    parser.add_argument("--config", type=Path, default=None, help="training YAML (unknown keys are rejected)")
    parser.add_argument("--mode", choices=MODES, default=None, help="training mode (default: the config's, mono)")
    parser.add_argument("--width", type=positive_int, default=None, help="training width (default 320)")
    parser.add_argument("--height", type=positive_int, default=None, help="training height (default 96)")
    parser.add_argument("--init", type=Path, default=None, metavar="CKPT", help="start from this checkpoint's weights")
    parser.add_argument(
        "--freeze-encoder", action="store_true", default=None, help="keep the depth encoder fixed (decoder only)"
    )
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


def _check_source_options(args: argparse.Namespace) -> None:
    from mono_depth_ros.core.training.errors import TrainingConfigError

    bag_only = ("image_topic", "camera_info_topic", "right_image_topic", "right_camera_info_topic", "odom_topic",
                "depth_topic", "cache_dir")  # fmt: skip
    if args.synthetic and args.bag:
        raise TrainingConfigError("give either --bag or --synthetic, not both")
    if not args.synthetic and not args.bag:
        raise TrainingConfigError("give --bag PATH (with --image-topic) to train on recordings, or --synthetic")
    if args.bag and args.image_topic is None:
        raise TrainingConfigError("--bag needs --image-topic: the camera's Image or CompressedImage topic")
    if args.synthetic:
        given = [f"--{name.replace('_', '-')}" for name in bag_only if getattr(args, name) is not None]
        if given:
            raise TrainingConfigError(f"{given[0]} applies to --bag, not to --synthetic")
    elif args.frames is not None or args.stereo:
        raise TrainingConfigError(f"{'--frames' if args.frames is not None else '--stereo'} applies to --synthetic")


def run(args: argparse.Namespace) -> int:
    from mono_depth_ros.core.training.config import load_training_config
    from mono_depth_ros.core.training.errors import TrainingConfigError

    _check_source_options(args)
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
        init_checkpoint=None if args.init is None else str(args.init),
        freeze_encoder=args.freeze_encoder,
        frame_cache_dir=None if args.cache_dir is None else str(args.cache_dir),
        two_stream=args.two_stream,
        sag=args.sag,
        scale_transfer=args.scale_transfer,
        adaptive_scale=args.adaptive_scale,
    )
    if args.init is not None and not args.init.is_file():
        raise TrainingConfigError(f"--init checkpoint {str(args.init)!r} does not exist")
    if args.synthetic and config.uses_right and not args.stereo:
        raise TrainingConfigError(
            f"mode {config.mode.value!r} needs a right image (a stereo pair): add --stereo to render one"
        )
    # Heavy imports only now: `mono-depth-ros --help` must stay light.
    from tqdm import tqdm

    from mono_depth_ros.core.training.trainer import Trainer

    main = _is_main_process()
    reporter = _ProgressReporter(config.max_steps, config.mode.value, enabled=main)
    kwargs: dict[str, Any] = {"progress": reporter.report}
    if args.bag:
        trainer, summary = _bag_trainer(args, config, kwargs)
        if main:
            tqdm.write(summary)
    else:
        data = _synthetic_data(args, config, main)
        trainer = Trainer(config, data.train, args.out, validation=data.validation, source=data.source, **kwargs)
    if main and any(args.out.glob("checkpoint-*.pt")):
        tqdm.write(f"resuming the run in {args.out}")
    try:
        with _stop_on_first_interrupt(trainer.request_stop, main):
            result = trainer.run()
    finally:
        reporter.close()
    if main:
        _print_summary(result, args.out)
    return 0


def _synthetic_data(args: argparse.Namespace, config: Any, main: bool) -> Any:
    from tqdm import tqdm

    from mono_depth_ros.core.inference import resolve_device
    from mono_depth_ros.core.training.synthetic import build_synthetic_data

    device = resolve_device(config.device)
    render_device = device if device.type == "cuda" else "cpu"
    with tqdm(unit="frame", desc="render", disable=None if main else True, leave=False) as bar:

        def rendered(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return build_synthetic_data(config, stereo=args.stereo, device=render_device, progress=rendered)


def _bag_trainer(args: argparse.Namespace, config: Any, kwargs: dict[str, Any]) -> tuple[Any, str]:
    from tqdm import tqdm

    from mono_depth_ros.data.training import BagSelection, prepare_bag_training

    selection = BagSelection(
        tuple(args.bag),
        args.image_topic,
        camera_info_topic=args.camera_info_topic or "",
        right_image_topic=args.right_image_topic or "",
        right_camera_info_topic=args.right_camera_info_topic or "",
        odom_topic=args.odom_topic or "",
        depth_topic=args.depth_topic or "",
    )
    bars: dict[str, tqdm] = {}

    def decoded(what: str, done: int, total: int) -> None:
        if what not in bars:
            bars[what] = tqdm(unit="frame", desc=f"decode {what}", leave=False, disable=None)
        bars[what].update(done - bars[what].n)

    try:
        trainer, data = prepare_bag_training(config, selection, args.out, data_progress=decoded, **kwargs)
    finally:
        for bar in bars.values():
            bar.close()
    return trainer, data.summary.format()


class _ProgressReporter:
    """The step bar (created at the first report, so a resumed run's bar starts at its step and its rate and ETA
    count this session's steps only) and the validation lines."""

    def __init__(self, max_steps: int, mode: str, *, enabled: bool) -> None:
        self.max_steps = max_steps
        self.mode = mode
        self.enabled = enabled
        self.bar: Any = None

    def _write(self, text: str) -> None:
        from tqdm import tqdm

        (self.bar.write if self.bar is not None else tqdm.write)(text)

    def report(self, progress: Any) -> None:
        if not self.enabled:
            return
        if progress.phase == "validate" and progress.validation is not None:
            self._write(progress.validation.format())
            return
        if progress.phase == "validate_loss":
            terms = ", ".join(f"{name} {value:.4f}" for name, value in progress.terms.items())
            self._write(f"step {progress.step}: held-out loss {terms}")
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.max_steps, initial=progress.step - 1, unit="step", desc=f"train {self.mode}")
        if progress.phase == "scale_cnn":
            self.bar.set_postfix_str(f"scale CNN epoch {progress.epoch} mse {progress.terms['scale_cnn_mse']:.4f}")
            return
        self.bar.update(progress.step - self.bar.n)
        self.bar.set_postfix(loss=f"{progress.terms['total']:.4f}", epoch=progress.epoch, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextmanager
def _stop_on_first_interrupt(request_stop: Callable[[], None], main: bool) -> Iterator[None]:
    """The first Ctrl-C asks the trainer to stop (it saves a checkpoint after the current step and returns); a
    second one interrupts for real."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def first(signum: int, frame: object) -> None:
        if main:
            print("\nstopping after this step: saving a checkpoint (Ctrl-C again to abort)", file=sys.stderr)
        request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_summary(result: Any, out: Path) -> None:
    for warning in result.warnings:
        print(f"mono-depth-ros train: warning: {warning}", file=sys.stderr)
    if result.validation is not None:
        metrics = result.validation
        print(
            f"validation Abs Rel at step {metrics.step}: {metrics.abs_rel_median:.4f} median-scaled, "
            f"{metrics.abs_rel_metric:.4f} metric ({metrics.metric_source.value} scale x{metrics.metric_factor:.4g})"
        )
    if result.validation_loss:
        print(f"held-out loss at the end: {result.validation_loss['total']:.4f}")
    ended = "stopped early" if result.stopped else "done"
    print(f"checkpoint: {result.checkpoint} (step {result.step}, epoch {result.epoch}, {ended})")
    print(f"learning curves: {_plot_curves(out)}")


def _plot_curves(folder: Path) -> str:
    """Plot the run's logs into folder/learning_curves.png; what became of it, for the summary line."""
    from mono_depth_ros.plots import CURVES_FILE, PlotError, plot_learning_curves, read_learning_curves

    try:
        return str(plot_learning_curves(read_learning_curves(folder), folder / CURVES_FILE))
    except PlotError as error:
        return f"not plotted ({error})"
