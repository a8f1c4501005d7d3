"""The `Trainer`: builds the networks, resumes from the newest checkpoint of its output folder, and trains.

    trainer = Trainer(config, dataset, "runs/a", validation=held_out, progress=print)
    result = trainer.run()        # from another thread: trainer.request_stop() saves a checkpoint and returns

Each step (per process; several under torchrun, see `core.training.distributed`) takes the next target samples of
the epoch's seeded permutation (plus source samples for scale transfer), augments them with generators seeded by
(seed, step, rank), and updates the networks, so a run is deterministic for its seed and a resumed run continues
exactly where the checkpoint left it (bitwise on the CPU). Rank 0 alone logs, validates and writes checkpoints.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mono_depth_ros.core.models import (
    Checkpoint,
    MetricScale,
    Networks,
    ScaleSource,
    TrainingMode,
    depth_to_disparity,
    load_checkpoint,
    load_imagenet_weights,
)
from mono_depth_ros.core.models.pose import TRANSLATION_SCALE
from mono_depth_ros.core.training.adaptive import fit_scale_cnn, optimal_scale_targets
from mono_depth_ros.core.training.augment import AugmentationOptions, augment
from mono_depth_ros.core.training.checkpoints import (
    capture_rng_state,
    load_latest_checkpoint,
    plain,
    remove_partial_checkpoints,
    restore_rng_state,
    write_training_checkpoint,
)
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import TrainingBatch, TrainingDataset, TrainingSample, collate
from mono_depth_ros.core.training.distributed import (
    DistributedContext,
    any_rank,
    barrier,
    epoch_indices,
    init_distributed,
    shutdown_distributed,
    wrap_ddp,
)
from mono_depth_ros.core.training.errors import TrainingConfigError, TrainingDataError, TrainingError
from mono_depth_ros.core.training.logging import TrainingLog
from mono_depth_ros.core.training.objective import Objective, loss_columns
from mono_depth_ros.core.training.optimisation import (
    Precision,
    TrainingStep,
    build_optimiser,
    build_scheduler,
    flush_denormals_on_cpu,
    trainable_parameters,
    use_channels_last,
)
from mono_depth_ros.core.training.validation import ValidationResult, ValidationSet, global_scale_factor, validate

__all__ = ["Progress", "Trainer", "TrainingResult", "check_data"]

_RATE_SMOOTHING = 0.1
"""Weight of the newest step in the steps/s moving average."""
VALIDATION_LOSS_WINDOWS = 96
"""At most this many held-out windows are scored for the validation loss (a few seconds on a CPU)."""


@dataclass(frozen=True)
class Progress:
    """Reported after every step (and each validation / scale-CNN epoch) to the progress callback (rank 0)."""

    step: int
    max_steps: int
    epoch: int
    terms: Mapping[str, float]
    """The step's loss terms (total first)."""
    steps_per_second: float
    eta_seconds: float
    learning_rate: float
    phase: str = "train"
    """train, validate (ground truth), validate_loss (held-out windows; `terms` are their mean loss terms), or
    scale_cnn (adaptive scaling's fitting, after the last step)."""
    validation: ValidationResult | None = None
    """The validation that just ran (phase validate)."""


@dataclass(frozen=True)
class TrainingResult:
    """How a run ended."""

    step: int
    epoch: int
    checkpoint: Path | None
    """The last checkpoint written (None on ranks other than 0)."""
    stopped: bool
    """Ended by `request_stop` before max_steps (a time limit is a normal end: validated, saved)."""
    resumed_from: Path | None
    validation: ValidationResult | None
    """The last validation (rank 0, when there is a validation set)."""
    metric_scale: MetricScale
    warnings: tuple[str, ...] = ()
    validation_loss: Mapping[str, float] | None = None
    """The last mean loss terms on the held-out windows (rank 0, when there are some)."""


def check_data(
    config: TrainingConfig,
    dataset: TrainingDataset,
    validation: ValidationSet | None = None,
    source: TrainingDataset | None = None,
) -> None:
    """Refuse data that does not fit the configuration, naming the key and value (before anything is built)."""
    info = dataset.info
    mode = config.mode.value
    if config.uses_right and not info.right:
        raise TrainingConfigError(
            f"mode {mode!r} needs a right image (a rectified stereo pair), but {info.name} has none "
            "(synthetic data: add --stereo)"
        )
    if config.uses_temporal and not info.temporal:
        raise TrainingConfigError(f"mode {mode!r} needs frames t-1 and t+1, but {info.name} has no temporal frames")
    if (info.width, info.height) != (config.width, config.height):
        raise TrainingConfigError(
            f"width x height is {config.width}x{config.height}, but {info.name} has {info.width}x{info.height} images"
        )
    if len(dataset) < 1:
        raise TrainingDataError(f"{info.name} has no samples")
    if validation is not None and validation.images.shape[1:3] != (config.height, config.width):
        raise TrainingConfigError(
            f"width x height is {config.width}x{config.height}, but the validation set {validation.name} has "
            f"{validation.images.shape[2]}x{validation.images.shape[1]} images"
        )
    for flag in ("scale_transfer", "adaptive_scale"):
        if not getattr(config, flag):
            continue
        if source is None or not source.info.depth:
            raise TrainingConfigError(f"{flag} true needs a source set with ground-truth depth, got none")
        if (source.info.width, source.info.height) != (config.width, config.height):
            raise TrainingConfigError(
                f"width x height is {config.width}x{config.height}, but the source set {source.info.name} has "
                f"{source.info.width}x{source.info.height} images"
            )
        if config.scale_transfer:
            if config.uses_right and not source.info.right:
                raise TrainingConfigError(f"mode {mode!r} needs a right image in the source set too")
            if config.uses_temporal and not source.info.temporal:
                raise TrainingConfigError(f"mode {mode!r} needs temporal frames in the source set too")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _derived_seed(*parts: int) -> int:
    """A 63-bit seed from integers (seed, step, rank, purpose), well mixed."""
    words = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, dtype=np.uint32)
    return int(words.view(np.uint64)[0]) >> 1


def _start_at_depth(networks: Networks, depth: float) -> None:
    """Bias the decoder's disparity heads so that the untrained network predicts about `depth` everywhere."""
    config = networks.config
    disparity = float(depth_to_disparity(torch.tensor(depth, dtype=torch.float64), config.min_depth, config.max_depth))
    with torch.no_grad():
        for head in networks.depth.decoder.heads.values():
            head.conv.bias.fill_(math.log(disparity / (1.0 - disparity)))


def _start_moving_forward(networks: Networks, forward: float) -> None:
    """Bias the pose network so that, untrained, it predicts a forward translation of `forward` between the frames
    of a pair: later_from_earlier moves points by -forward along the optical axis (z)."""
    if networks.pose is None:
        return
    with torch.no_grad():
        networks.pose.decoder.output.bias[5] = -forward / TRANSLATION_SCALE


def _strip(sample: TrainingSample, config: TrainingConfig) -> TrainingSample:
    """Only the parts the mode uses cross to the device."""
    return dataclasses.replace(
        sample,
        previous_image=sample.previous_image if config.uses_temporal else None,
        next_image=sample.next_image if config.uses_temporal else None,
        right_image=sample.right_image if config.uses_right else None,
        stereo_baseline=sample.stereo_baseline if config.uses_right else None,
    )


class Trainer:
    """Self-supervised training of the depth (and pose) networks; see the module docstring.

    Args:
        config: the run.
        dataset: the target samples (`TrainingDataset`).
        output_dir: checkpoints, losses.csv, validation.csv; an existing checkpoint there is resumed.
        validation: held-out images with ground truth, scored every `validate_every` steps and at the end.
        validation_windows: held-out samples (no ground truth needed): their mean loss terms, at the same times,
            in validation_losses.csv (at most `VALIDATION_LOSS_WINDOWS` of them, evenly spread).
        source: the set with ground truth of scale transfer (mixed into the batches) and adaptive scaling.
        progress: called with a `Progress` after every step (rank 0), e.g. a progress bar or a ROS publisher.
        on_checkpoint: called with the path of every checkpoint written (rank 0).
    """

    def __init__(
        self,
        config: TrainingConfig,
        dataset: TrainingDataset,
        output_dir: Path | str,
        *,
        validation: ValidationSet | None = None,
        validation_windows: TrainingDataset | None = None,
        source: TrainingDataset | None = None,
        progress: Callable[[Progress], None] | None = None,
        on_checkpoint: Callable[[Path], None] | None = None,
    ) -> None:
        check_data(config, dataset, validation, source)
        if validation_windows is not None and len(validation_windows) == 0:
            validation_windows = None
        self.config = config
        self.dataset = dataset
        self.output_dir = Path(output_dir)
        self.validation = validation
        self.validation_windows = validation_windows
        self.source = source
        self.progress = progress
        self.on_checkpoint = on_checkpoint
        self._stop = threading.Event()
        self.step = 0
        self.epoch = 0
        self.last_checkpoint: Path | None = None
        self.last_validation: ValidationResult | None = None
        self.last_validation_loss: dict[str, float] | None = None
        self.warnings: list[str] = []
        self.stereo_baseline = self._training_baseline()
        self.metric_scale = self._base_metric_scale()
        self._scale_cnn_done = False
        self._validated_step = -1
        self._source_count = 0
        if config.scale_transfer:
            self._source_count = min(max(round(config.batch_size * config.source_fraction), 1), config.batch_size - 1)
        self._target_count = config.batch_size - self._source_count
        self._epoch_cache: dict[tuple[str, int], list[int]] = {}
        self._channels_last = False
        self._started = time.perf_counter()
        self._earlier_s = 0.0  # wall-clock time of the invocations this one resumes

    # Public ---------------------------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask the run to stop after the current step; it saves a checkpoint and returns (thread-safe)."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def elapsed_s(self) -> float:
        """Wall-clock seconds of this run, the resumed invocations' included."""
        return self._earlier_s + time.perf_counter() - self._started

    def _time_is_up(self) -> bool:
        limit = self.config.time_limit_minutes
        return limit is not None and time.perf_counter() - self._started >= 60.0 * limit

    def run(self) -> TrainingResult:
        """Train to `max_steps` (or until stopped), resuming from the newest checkpoint in `output_dir`."""
        from mono_depth_ros.core.inference import resolve_device

        context, device = init_distributed(resolve_device(self.config.device))
        try:
            return self._run(context, device)
        finally:
            shutdown_distributed(context)

    # Set-up ---------------------------------------------------------------------------------------------------

    def _training_baseline(self) -> float | None:
        if not self.config.uses_right:
            return None
        return self.config.stereo_baseline or self.dataset.info.stereo_baseline

    def _base_metric_scale(self) -> MetricScale:
        if self.config.uses_right:
            return MetricScale(ScaleSource.STEREO, 1.0)
        return MetricScale()

    def _build_networks(self, is_main: bool) -> tuple[Networks, Checkpoint | None]:
        config = self.config
        _seed_everything(config.seed)
        networks = Networks.build(config.model_config())
        if config.imagenet_weights:
            load_imagenet_weights(networks.depth.encoder, config.imagenet_weights)
            if networks.pose is not None:
                load_imagenet_weights(networks.pose.encoder, config.imagenet_weights)
        resumed, warnings = load_latest_checkpoint(self.output_dir)
        self.warnings.extend(warnings)
        if is_main:
            for path in remove_partial_checkpoints(self.output_dir):
                self.warnings.append(f"removed {path.name}, a checkpoint whose writing was interrupted")
        if resumed is not None:
            self._check_resumable(resumed)
            for name, module in networks.modules().items():
                module.load_state_dict(resumed.state_dicts[name])
        elif config.init_checkpoint:
            self._initialise_from(networks, Path(config.init_checkpoint))
        elif config.uses_right:
            _start_at_depth(networks, config.stereo_initial_depth)
        elif networks.pose is not None and config.forward_motion_prior > 0:
            _start_moving_forward(networks, config.forward_motion_prior)
        return networks, resumed

    def _check_resumable(self, checkpoint: Checkpoint) -> None:
        stored = checkpoint.training_state.get("config")
        if not isinstance(stored, Mapping):
            raise TrainingError(
                f"{checkpoint.path} is not a training checkpoint of mono_depth_ros (no configuration); choose another "
                "output folder, or start from it with init_checkpoint"
            )
        for key in ("mode", "width", "height", "two_stream", "encoder_layers", "pose_encoder_layers", "scales"):
            now = self.config.to_dict()[key]
            if stored.get(key) != now:
                raise TrainingConfigError(
                    f"{key} is {now!r}, but the run in {self.output_dir} ({checkpoint.path}) was trained with "
                    f"{stored.get(key)!r}: use another output folder to start a new run"
                )
        if checkpoint.model != self.config.model_config():
            raise TrainingConfigError(
                f"the networks of {checkpoint.path} ({checkpoint.model}) differ from this configuration's "
                f"({self.config.model_config()}): use another output folder to start a new run"
            )

    def _initialise_from(self, networks: Networks, path: Path) -> None:
        checkpoint = load_checkpoint(path)
        stored = checkpoint.build_networks()
        try:
            networks.depth.load_state_dict(stored.depth.state_dict())
        except RuntimeError as error:
            raise TrainingConfigError(
                f"init_checkpoint {str(path)!r} has a depth network that does not fit this configuration "
                f"(encoder_layers, two_stream, scales): {str(error).splitlines()[0]}"
            ) from None
        if networks.pose is not None and stored.pose is not None:
            networks.pose.load_state_dict(stored.pose.state_dict())

    # The run --------------------------------------------------------------------------------------------------

    def _run(self, context: DistributedContext, device: torch.device) -> TrainingResult:
        config = self.config
        self._started = time.perf_counter()  # the time limit counts from here (rendering data came before)
        networks, resumed = self._build_networks(context.is_main)
        self._channels_last = use_channels_last(config, device)
        memory_format = torch.channels_last if self._channels_last else torch.contiguous_format
        for module in networks.modules().values():
            module.to(device, memory_format=memory_format)
        networks.train()
        if config.freeze_encoder:
            networks.depth.encoder.eval()  # frozen weights keep their batch-norm statistics too
        parameters = trainable_parameters(networks, config)
        depth = wrap_ddp(networks.depth, context, device)
        pose = wrap_ddp(networks.pose, context, device) if networks.pose is not None else None
        precision = Precision.choose(config.amp, device)
        flush_denormals_on_cpu(device)
        optimiser = build_optimiser(parameters, config)
        scheduler = build_scheduler(optimiser, config)
        step_fn = TrainingStep(Objective(config, depth, pose), optimiser, scheduler, precision)
        if resumed is not None:
            self._restore(resumed, step_fn)
        resume_step = self.step if resumed is not None else None
        log = None
        if context.is_main:
            log = TrainingLog(
                self.output_dir, loss_columns(config), resume_step=resume_step,
                validation_losses=self.validation_windows is not None,
            )  # fmt: skip
        try:
            self._loop(context, device, networks, step_fn, log, fresh=resumed is None)
        finally:
            if log is not None:
                log.close()
        return TrainingResult(
            step=self.step,
            epoch=self.epoch,
            checkpoint=self.last_checkpoint,
            stopped=self.stop_requested and self.step < config.max_steps,
            resumed_from=None if resumed is None else resumed.path,
            validation=self.last_validation,
            validation_loss=self.last_validation_loss,
            metric_scale=self.metric_scale,
            warnings=tuple(self.warnings),
        )

    def _restore(self, checkpoint: Checkpoint, step_fn: TrainingStep) -> None:
        state = checkpoint.training_state
        try:
            step_fn.optimiser.load_state_dict(state["optimiser"])
            step_fn.scheduler.load_state_dict(state["scheduler"])
            if state.get("grad_scaler"):
                step_fn.scaler.load_state_dict(state["grad_scaler"])
        except (KeyError, ValueError, RuntimeError) as error:
            raise TrainingError(f"{checkpoint.path}: cannot restore the optimiser state: {error}") from None
        restore_rng_state(state.get("rng") or {})
        self.step, self.epoch = checkpoint.step, checkpoint.epoch
        self.metric_scale = checkpoint.metric_scale
        self._scale_cnn_done = bool(state.get("scale_cnn_done", False))
        self._earlier_s = float(state.get("elapsed_s", 0.0))

    def _loop(
        self,
        context: DistributedContext,
        device: torch.device,
        networks: Networks,
        step_fn: TrainingStep,
        log: TrainingLog | None,
        *,
        fresh: bool,
    ) -> None:
        config = self.config
        self._steps_per_epoch(context)  # enough samples for one batch per process: fail before anything runs
        if fresh and context.is_main and (self.validation is not None or self.validation_windows is not None):
            self._validate(networks, device, log)  # the untrained value, for reference
        barrier(context)
        rate = 0.0
        last_time = time.perf_counter()
        saved_step = self.step if not fresh else -1
        out_of_time = False
        while self.step < config.max_steps:
            if any_rank(context, self._stop.is_set(), device):
                break
            batch = self._batch(self.step, context, device)
            noise = torch.Generator(device=device).manual_seed(_derived_seed(config.seed, self.step, context.rank, 1))
            learning_rate = step_fn.learning_rate  # the rate this step uses (the scheduler moves on after it)
            terms = step_fn(batch, noise)
            self.step += 1
            self.epoch = self.step // self._steps_per_epoch(context)
            values = terms.values()
            step_fn.check_finite(values["total"], self.step)
            now = time.perf_counter()
            elapsed = max(now - last_time, 1e-9)
            last_time = now
            rate = 1.0 / elapsed if rate == 0.0 else (1 - _RATE_SMOOTHING) * rate + _RATE_SMOOTHING / elapsed
            if log is not None and self.step % config.log_every == 0:
                log.log_step(self.step, self.epoch, learning_rate, rate, values, elapsed_s=self.elapsed_s)
            if context.is_main and self.step % config.validate_every == 0 and self.step < config.max_steps:
                self._validate(networks, device, log)
                last_time = time.perf_counter()  # validation time is not a step's
            if self.step % config.checkpoint_every == 0 and self.step < config.max_steps:
                self._save(context, networks, step_fn)
                saved_step = self.step
                last_time = time.perf_counter()  # nor is writing a checkpoint
            if context.is_main and self.progress is not None:
                remaining = (config.max_steps - self.step) / rate if rate > 0 else math.inf
                self.progress(Progress(self.step, config.max_steps, self.epoch, values, rate, remaining, learning_rate))
            # At least one step per invocation, so that a rerun with a time limit always makes progress.
            out_of_time = any_rank(context, self._time_is_up(), device)
            if out_of_time:
                break
        if self.step >= config.max_steps or out_of_time:
            self._finish(context, device, networks, step_fn, log)
        elif saved_step != self.step and self.step > 0:
            self._save(context, networks, step_fn)  # stopped early: keep what was learnt (if it learnt anything)

    def _finish(
        self,
        context: DistributedContext,
        device: torch.device,
        networks: Networks,
        step_fn: TrainingStep,
        log: TrainingLog | None,
    ) -> None:
        """After the last step: fit the scale CNN (adaptive scaling), score, and save the final checkpoint."""
        if context.is_main:
            fitted = self.config.adaptive_scale and not self._scale_cnn_done
            if fitted:
                self._fit_scale_cnn(networks, device)
            # A time limit can end the run right after a validation: that score is the final one.
            scored = self._validated_step == self.step
            if self.validation is not None or self.validation_windows is not None:
                if fitted or not scored:
                    self._validate(networks, device, log)
            elif self.config.scale_transfer:
                self._update_global_factor(networks, device)
        self._save(context, networks, step_fn)

    # Batches --------------------------------------------------------------------------------------------------

    def _epoch_order(self, kind: str, length: int, epoch: int, context: DistributedContext) -> list[int]:
        key = (kind, epoch)
        if key not in self._epoch_cache:
            if len(self._epoch_cache) > 4:
                self._epoch_cache.clear()
            seed = self.config.seed + (0 if kind == "target" else 1)
            self._epoch_cache[key] = epoch_indices(length, epoch, seed, context)
        return self._epoch_cache[key]

    def _steps_per_epoch(self, context: DistributedContext) -> int:
        per_rank = len(self.dataset) // context.world_size
        steps = per_rank // self._target_count
        if steps < 1:
            raise TrainingDataError(
                f"{self.dataset.info.name} has {len(self.dataset)} samples, fewer than one batch of "
                f"{self._target_count} per process ({context.world_size} processes): lower batch_size or add frames"
            )
        return steps

    def _take(self, kind: str, length: int, start: int, count: int, context: DistributedContext) -> list[int]:
        """`count` indices from position `start` of the stream of per-epoch permutations of `length` samples."""
        per_epoch = length // context.world_size
        if per_epoch < 1:
            raise TrainingDataError(f"the {kind} set has {length} samples, fewer than one per process")
        indices: list[int] = []
        while len(indices) < count:
            epoch, offset = divmod(start + len(indices), per_epoch)
            order = self._epoch_order(kind, length, epoch, context)
            indices.extend(order[offset : offset + count - len(indices)])
        return indices

    def _collate(
        self, samples: list[TrainingSample], device: torch.device, is_source: list[bool] | None = None
    ) -> TrainingBatch:
        """`collate` in the run's memory format, with the configured stereo baseline in place of the data's."""
        batch = collate(samples, device, is_source=is_source, channels_last=self._channels_last)
        if batch.baseline is not None and self.config.stereo_baseline is not None:
            batch = dataclasses.replace(batch, baseline=torch.full_like(batch.baseline, self.config.stereo_baseline))
        return batch

    def _batch(self, step: int, context: DistributedContext, device: torch.device) -> TrainingBatch:
        """The augmented batch of `step` on this rank (a pure function of the seed, the step and the rank)."""
        config = self.config
        steps_per_epoch = self._steps_per_epoch(context)
        epoch, within = divmod(step, steps_per_epoch)
        order = self._epoch_order("target", len(self.dataset), epoch, context)
        chosen = order[within * self._target_count : (within + 1) * self._target_count]
        samples = [_strip(self.dataset[index], config) for index in chosen]
        flags = [False] * len(samples)
        if self._source_count and self.source is not None:
            picks = self._take("source", len(self.source), step * self._source_count, self._source_count, context)
            samples += [dataclasses.replace(_strip(self.source[index], config), depth=None) for index in picks]
            flags += [True] * len(picks)
        batch = self._collate(samples, device, flags)
        generator = torch.Generator().manual_seed(_derived_seed(config.seed, step, context.rank, 0))
        return augment(batch, AugmentationOptions.from_config(config), generator)

    # Validation, scale, checkpoints ---------------------------------------------------------------------------

    def _update_global_factor(self, networks: Networks, device: torch.device) -> None:
        if self.source is None:
            return
        images = np.stack([self.source[i].image for i in range(len(self.source))])
        depths = np.stack([self.source[i].depth for i in range(len(self.source))])
        factor = global_scale_factor(networks.depth, images, depths, device)
        self.metric_scale = MetricScale(ScaleSource.GLOBAL, factor)

    def _validate(self, networks: Networks, device: torch.device, log: TrainingLog | None) -> None:
        self._validated_step = self.step
        if self.config.scale_transfer:
            self._update_global_factor(networks, device)
        if self.validation_windows is not None:
            self._validate_loss(networks, device, log)
        if self.validation is None:
            return
        result = validate(
            networks.depth,
            self.validation,
            self.metric_scale,
            device,
            step=self.step,
            scale_cnn=networks.scale_cnn if self._scale_cnn_done else None,
        )
        self.last_validation = result
        if log is not None:
            log.log_validation(result, elapsed_s=self.elapsed_s)
        if self.progress is not None:
            self.progress(Progress(self.step, self.config.max_steps, self.epoch, {}, 0.0, 0.0, 0.0, "validate", result))

    def _validate_loss(self, networks: Networks, device: torch.device, log: TrainingLog | None) -> None:
        """Mean loss terms over (at most VALIDATION_LOSS_WINDOWS of) the held-out windows: no augmentation, fixed
        tie-break noise, the networks in eval mode (unwrapped: only rank 0 validates)."""
        windows = self.validation_windows
        if windows is None:
            return
        config = self.config
        count = min(len(windows), VALIDATION_LOSS_WINDOWS)
        chosen = np.linspace(0, len(windows) - 1, count).round().astype(int).tolist()
        objective = Objective(config, networks.depth, networks.pose)
        precision = Precision.choose(config.amp, device)
        sums: dict[str, float] = {}
        networks.eval()
        try:
            with torch.no_grad():
                for start in range(0, count, config.batch_size):
                    samples = [_strip(windows[i], config) for i in chosen[start : start + config.batch_size]]
                    batch = self._collate(samples, device)
                    noise = torch.Generator(device=device).manual_seed(config.seed)
                    values = objective(batch, precision.autocast, generator=noise).values()
                    for name, value in values.items():
                        sums[name] = sums.get(name, 0.0) + value * batch.size
        finally:
            networks.train()
            if config.freeze_encoder:
                networks.depth.encoder.eval()
        terms = {name: total / count for name, total in sums.items()}
        self.last_validation_loss = terms
        if log is not None:
            log.log_validation_loss(self.step, terms, elapsed_s=self.elapsed_s)
        if self.progress is not None:
            self.progress(Progress(self.step, config.max_steps, self.epoch, terms, 0.0, 0.0, 0.0, "validate_loss"))

    def _fit_scale_cnn(self, networks: Networks, device: torch.device) -> None:
        if self.source is None or networks.scale_cnn is None:
            return
        images = np.stack([self.source[i].image for i in range(len(self.source))])
        depths = np.stack([self.source[i].depth for i in range(len(self.source))])
        targets = optimal_scale_targets(networks.depth, images, depths, device, self.config.scale_range)

        def report(epoch: int, loss: float) -> None:
            if self.progress is not None:
                terms = {"scale_cnn_mse": loss}
                self.progress(Progress(self.step, self.config.max_steps, epoch, terms, 0.0, 0.0, 0.0, "scale_cnn"))

        fit_scale_cnn(networks.scale_cnn, images, targets.log_scales, self.config, device, progress=report)
        self._scale_cnn_done = True
        self.metric_scale = MetricScale(ScaleSource.PER_IMAGE, targets.global_factor)

    def _checkpoint(self, networks: Networks, step_fn: TrainingStep) -> Checkpoint:
        config = self.config
        state = {
            "config": config.to_dict(),
            "optimiser": step_fn.optimiser.state_dict(),
            "scheduler": step_fn.scheduler.state_dict(),
            "grad_scaler": step_fn.scaler.state_dict() if step_fn.scaler.is_enabled() else {},
            "rng": capture_rng_state(),
            "scale_cnn_done": self._scale_cnn_done,
            "elapsed_s": self.elapsed_s,
        }
        metadata = {"writer": "mono_depth_ros.core.training", "dataset": self.dataset.info.name}
        return Checkpoint.from_networks(
            networks,
            config.width,
            config.height,
            training_mode=TrainingMode(config.mode),
            stereo_baseline=self.stereo_baseline,
            metric_scale=self.metric_scale,
            step=self.step,
            epoch=self.epoch,
            training_state=plain(state),
            metadata=metadata,
        )

    def _save(self, context: DistributedContext, networks: Networks, step_fn: TrainingStep) -> None:
        if context.is_main:
            path = write_training_checkpoint(
                self.output_dir, self._checkpoint(networks, step_fn), self.config.keep_checkpoints
            )
            self.last_checkpoint = path
            if self.on_checkpoint is not None:
                self.on_checkpoint(path)
        barrier(context)
