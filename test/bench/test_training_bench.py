"""The training-step benchmark: a real (tiny) run, its table, and when the target is judged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mono_depth_ros.bench.timing import Timing
from mono_depth_ros.bench.training import (
    TARGET_STEP_SECONDS,
    TrainingBenchResult,
    format_training,
    run_training,
)
from mono_depth_ros.errors import ConfigError


def test_tiny_mono_run() -> None:
    result = run_training(64, 64, batch_size=1, scales=2, device="cpu", repeats=2, warmup=1)
    assert result.step.repeats == 2
    assert result.seconds_per_step > 0
    assert result.steps_per_second == pytest.approx(1.0 / result.seconds_per_step)
    assert (result.mode, result.precision, result.device) == ("mono", "fp32", "cpu")
    assert not result.judged  # not the reference size
    assert result.missed_targets() == []
    table = format_training(result)
    assert "training step (mono, batch 1, 2 scales, ResNet-18, cpu, fp32, contiguous" in table
    assert "2 steps after 1 warm-up" in table
    assert "64x64" in table
    assert result.format() == table


def test_siamese_run() -> None:
    result = run_training(64, 64, mode="siamese_stereo", batch_size=1, scales=1, device="cpu", repeats=1, warmup=0)
    assert result.mode == "siamese_stereo"


def test_target_is_judged_at_the_reference_configuration() -> None:
    timing = Timing(median_ms=1500.0, p90_ms=1600.0, repeats=5)
    result = TrainingBenchResult(640, 192, "mono", 2, 4, "cpu", "fp32", True, timing, 2)
    assert result.judged
    assert result.missed_targets() == []
    assert f"<= {TARGET_STEP_SECONDS:g} s ok" in result.format()
    slow = replace(result, step=Timing(median_ms=2500.0, p90_ms=2600.0, repeats=5))
    assert slow.missed_targets() == ["training step (mono, batch 2, 640x192, CPU) <= 2 s (got 2.50 s)"]
    assert "MISSED" in slow.format()
    assert not replace(result, batch_size=4).judged


def test_bad_sizes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"width must be a multiple of 32 and at least 64, got 100"):
        run_training(100, 64, device="cpu", repeats=1)
