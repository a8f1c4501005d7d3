"""What one training step costs: forward, losses, backward and Adam update of the depth (and pose) networks.

A step runs exactly as in the trainer (`core.training.TrainingStep` with the mode's `Objective`, channels-last,
AMP on CUDA) on a fixed batch of random images at the given size: Monodepth2 mono by default (2 source frames,
4 scales), ResNet-18 encoders, random weights (the time does not depend on them). The batch is built and
augmented once, outside the clock; the step ends with the parameters updated (synchronised on CUDA).
Target (CPU, 640x192, mono, batch 2): median step time at most TARGET_STEP_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.bench.timing import Timing, measure
from mono_depth_ros.core.inference import resolve_device
from mono_depth_ros.core.models import Networks, TrainingMode
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import TrainingSample, collate
from mono_depth_ros.core.training.objective import Objective
from mono_depth_ros.core.training.optimisation import (
    Precision,
    TrainingStep,
    build_optimiser,
    build_scheduler,
    flush_denormals_on_cpu,
    trainable_parameters,
    use_channels_last,
)

__all__ = [
    "TARGET_STEP_SECONDS",
    "TARGET_STEP_SIZE",
    "TrainingBenchResult",
    "format_training",
    "run_training",
]

#: Median seconds per step that a CPU must reach at TARGET_STEP_SIZE (mono, batch 2, 4 scales).
TARGET_STEP_SECONDS = 2.0
TARGET_STEP_SIZE = (640, 192)
TARGET_STEP_BATCH = 2
DEFAULT_TRAINING_REPEATS = 10
WARM_UP_STEPS = 2


@dataclass(frozen=True)
class TrainingBenchResult:
    """Training-step timings of one configuration."""

    width: int
    height: int
    mode: str
    batch_size: int
    scales: int
    device: str
    precision: str
    channels_last: bool
    step: Timing
    threads: int
    warmup: int = WARM_UP_STEPS

    @property
    def seconds_per_step(self) -> float:
        return self.step.median_ms / 1000.0

    @property
    def steps_per_second(self) -> float:
        return self.step.per_second

    @property
    def judged(self) -> bool:
        return (
            (self.width, self.height) == TARGET_STEP_SIZE
            and self.mode == TrainingMode.MONO.value
            and self.batch_size == TARGET_STEP_BATCH
            and self.scales == 4
            and self.device == "cpu"
        )

    def missed_targets(self) -> list[str]:
        if self.judged and self.seconds_per_step > TARGET_STEP_SECONDS:
            return [
                f"training step (mono, batch {TARGET_STEP_BATCH}, {self.width}x{self.height}, CPU) <= "
                f"{TARGET_STEP_SECONDS:g} s (got {self.seconds_per_step:.2f} s)"
            ]
        return []

    def format(self) -> str:
        return format_training(self)


def format_training(result: TrainingBenchResult) -> str:
    """The benchmark's table: median and p90 step time, steps/s, and the target when it applies."""
    verdict = ""
    if result.judged:
        ok = result.seconds_per_step <= TARGET_STEP_SECONDS
        verdict = f"   <= {TARGET_STEP_SECONDS:g} s {'ok' if ok else 'MISSED'}"
    layout = "channels-last" if result.channels_last else "contiguous"
    return "\n".join(
        (
            f"training step ({result.mode}, batch {result.batch_size}, {result.scales} scales, ResNet-18, "
            f"{result.device}, {result.precision}, {layout}, {result.threads} threads), {result.step.repeats} "
            f"steps after {result.warmup} warm-up",
            f"{'size':9s} {'median s':>9s} {'p90 s':>7s} {'steps/s':>8s}",
            f"{result.width}x{result.height:<5d} {result.step.median_ms / 1000:9.3f} {result.step.p90_ms / 1000:7.3f} "
            f"{result.step.per_second:8.3f}{verdict}",
        )
    )


def _random_sample(width: int, height: int, rng: np.random.Generator, stereo: bool, temporal: bool) -> TrainingSample:
    def image() -> np.ndarray:
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)

    focal = 0.58 * width
    matrix = np.array([[focal, 0.0, width / 2 - 0.5], [0.0, 1.92 * height, height / 2 - 0.5], [0.0, 0.0, 1.0]])
    return TrainingSample(
        image=image(),
        camera_matrix=matrix,
        previous_image=image() if temporal else None,
        next_image=image() if temporal else None,
        right_image=image() if stereo else None,
        stereo_baseline=0.54 if stereo else None,
    )


def run_training(
    width: int = TARGET_STEP_SIZE[0],
    height: int = TARGET_STEP_SIZE[1],
    *,
    mode: str = "mono",
    batch_size: int = TARGET_STEP_BATCH,
    scales: int = 4,
    device: str = "auto",
    amp: bool = True,
    channels_last: bool | None = None,
    repeats: int = DEFAULT_TRAINING_REPEATS,
    warmup: int = WARM_UP_STEPS,
    two_stream: bool = False,
    sag: bool = False,
    seed: int = 0,
) -> TrainingBenchResult:
    """Median step time over `repeats` training steps (after `warmup`) of `mode` at width x height.

    `channels_last` None follows the trainer (channels-last on CUDA only); True or False forces a layout.
    Raises TrainingConfigError (a ConfigError) for sizes or options the trainer would refuse.
    """
    config = TrainingConfig(
        mode=TrainingMode(mode),
        width=width,
        height=height,
        batch_size=batch_size,
        scales=tuple(range(scales)),
        two_stream=two_stream,
        sag=sag,
        amp=amp,
        seed=seed,
    )
    resolved = resolve_device(device)
    if channels_last is None:
        channels_last = use_channels_last(config, resolved)
    torch.manual_seed(seed)
    networks = Networks.build(config.model_config())
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    for module in networks.modules().values():
        module.to(resolved, memory_format=memory_format)
    networks.train()
    optimiser = build_optimiser(trainable_parameters(networks, config), config)
    precision = Precision.choose(amp, resolved)
    flush_denormals_on_cpu(resolved)
    step = TrainingStep(
        Objective(config, networks.depth, networks.pose), optimiser, build_scheduler(optimiser, config), precision
    )
    rng = np.random.default_rng(seed)
    samples = [_random_sample(width, height, rng, config.uses_right, config.uses_temporal) for _ in range(batch_size)]
    batch = collate(samples, resolved, channels_last=channels_last)
    synchronise = torch.cuda.synchronize if resolved.type == "cuda" else (lambda: None)

    def one_step(index: int) -> None:
        generator = torch.Generator(device=resolved).manual_seed(index)
        step(batch, generator)
        synchronise()

    timing = measure(one_step, repeats=repeats, warmup=warmup)
    return TrainingBenchResult(
        width=width,
        height=height,
        mode=config.mode.value,
        batch_size=batch_size,
        scales=scales,
        device=str(resolved) if resolved.type == "cuda" else "cpu",
        precision=precision.name,
        channels_last=channels_last,
        step=timing,
        threads=torch.get_num_threads(),
        warmup=warmup,
    )
