from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import torch

from mono_depth_ros.bench.timing import Timing, cpu_model, machine_line, measure


class FakeClock:
    """Integer nanoseconds that only move when the timed function says so."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def test_measure_warms_up_then_times_with_running_indices() -> None:
    clock = FakeClock()
    calls: list[tuple[int, int]] = []
    # Warm-up calls take "forever": they must not reach the statistics.
    durations_ms = [1000, 1000, 5, 1, 4, 2, 3]

    def fn(index: int) -> None:
        calls.append((index, clock.now))
        clock.now += durations_ms[index] * 1_000_000

    timing = measure(fn, repeats=5, warmup=2, clock=clock)
    assert [index for index, _ in calls] == [0, 1, 2, 3, 4, 5, 6]
    assert timing == Timing(median_ms=3.0, p90_ms=5.0, repeats=5)


def test_measure_without_warm_up_times_every_call() -> None:
    clock = FakeClock()
    seen: list[int] = []

    def fn(index: int) -> None:
        seen.append(index)
        clock.now += 2_500_000

    timing = measure(fn, repeats=3, warmup=0, clock=clock)
    assert seen == [0, 1, 2]
    assert timing == Timing(median_ms=2.5, p90_ms=2.5, repeats=3)
    assert timing.per_second == pytest.approx(400.0)


def test_measure_uses_the_real_clock_by_default() -> None:
    timing = measure(lambda index: sum(range(1000)), repeats=3, warmup=1)
    assert timing.repeats == 3
    assert 0.0 < timing.median_ms <= timing.p90_ms


@pytest.mark.parametrize(
    ("samples_ms", "median_ms", "p90_ms"),
    [
        ([7], 7.0, 7.0),
        ([2, 1], 1.5, 2.0),
        # Nearest rank: ceil(0.9 * 10) = 9th smallest of 10.
        ([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 5.5, 9.0),
        (list(range(1, 21)), 10.5, 18.0),
        (list(range(1, 31)), 15.5, 27.0),
    ],
)
def test_timing_median_and_nearest_rank_p90(samples_ms: list[int], median_ms: float, p90_ms: float) -> None:
    timing = Timing.from_samples_ns([ms * 1_000_000 for ms in samples_ms])
    assert timing == Timing(median_ms=median_ms, p90_ms=p90_ms, repeats=len(samples_ms))


@pytest.mark.parametrize(
    ("repeats", "warmup", "message"),
    [(0, 1, "repeats must be at least 1, got 0"), (3, -1, "warmup must be non-negative, got -1")],
)
def test_measure_rejects_bad_counts_without_calling(repeats: int, warmup: int, message: str) -> None:
    calls: list[int] = []
    with pytest.raises(ValueError, match=message):
        measure(calls.append, repeats=repeats, warmup=warmup)
    assert calls == []


def test_timing_needs_a_sample() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        Timing.from_samples_ns([])


def test_cpu_model_reads_cpuinfo_and_falls_back(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU @ 3.00GHz\n\nprocessor\t: 1\n"
    )
    assert cpu_model(cpuinfo) == "Test CPU @ 3.00GHz"
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nBogoMIPS\t: 50.00\n\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n")
    assert cpu_model(arm) == "Raspberry Pi 5 Model B Rev 1.0"
    assert cpu_model(tmp_path / "missing")  # the platform module's answer, or "unknown CPU"


def test_machine_line_names_everything_an_entry_records(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Test CPU\n")
    moment = datetime(2025, 3, 4, 7, 8, tzinfo=timezone(timedelta(hours=2)))
    line = machine_line(now=moment, cpuinfo=cpuinfo)
    assert line.startswith("machine: 2025-03-04 05:08 UTC; Test CPU; ")
    assert " logical cores; " in line
    assert f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()}; " in line
    assert "load average " in line
    assert "CUDA: " in line
    assert "\n" not in line
