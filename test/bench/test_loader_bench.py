"""The bag-loader benchmark: a real (tiny) run on recorded bags, its table, and the target."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mono_depth_ros.bench import loader
from mono_depth_ros.bench.loader import LOADER_BATCH, TARGET_LOADER_RATIO, LoaderBenchResult, LoaderCase, run_loader
from mono_depth_ros.bench.timing import Timing


def test_a_tiny_run_times_cold_and_warm_loading_of_raw_and_jpeg_bags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "SOURCE_SIZE", (128, 64))
    steps: list[str] = []
    result = run_loader(frames=6, repeats=2, step_repeats=1, device="cpu", sizes=((64, 64),), progress=steps.append)
    assert [(c.width, c.height, c.encoding, c.frames) for c in result.cases] == [
        (64, 64, "raw", 6),
        (64, 64, "jpeg", 6),
    ]
    for case in result.cases:
        assert case.cold_s > 0
        assert case.warm_s > 0
        assert case.batch.repeats == 2
        assert case.windows_per_second == pytest.approx(LOADER_BATCH * 1000.0 / case.batch.median_ms)
        assert case.ratio == pytest.approx(case.windows_per_second * case.step_s / LOADER_BATCH)
    assert steps[:3] == ["record raw", "record jpeg", "step 64x64"]
    table = result.format()
    assert "bag loader (mono windows, batch 6; bag recorded at " in table
    assert table.splitlines()[2].startswith("64x64    raw ")


def test_the_target_is_a_ratio_of_windows_per_second() -> None:
    case = LoaderCase(320, 96, "jpeg", 60, 1.0, 0.1, Timing(median_ms=60.0, p90_ms=70.0, repeats=5), step_s=1.2)
    # 6 windows in 60 ms = 100/s; the step consumes 6 per 1.2 s = 5/s: 20x.
    assert case.ratio == pytest.approx(20.0)
    result = LoaderBenchResult((case,), "mono")
    assert result.missed_targets() == []
    assert f">= {TARGET_LOADER_RATIO:g}x ok" in result.format()
    slow = LoaderBenchResult((replace(case, batch=Timing(median_ms=600.0, p90_ms=700.0, repeats=5)),), "mono")
    assert slow.missed_targets() == ["loader jpeg 320x96: warm windows/s >= 5x the step's (got 2.0x)"]
    assert "MISSED" in slow.format()
