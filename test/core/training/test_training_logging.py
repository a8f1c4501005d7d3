"""losses.csv / validation.csv: columns, appending, and dropping the rows after the resumed checkpoint."""

from __future__ import annotations

import csv
from pathlib import Path

from mono_depth_ros.core.evaluation import DepthMetrics
from mono_depth_ros.core.models import ScaleSource
from mono_depth_ros.core.training import LOSSES_FILE, VALIDATION_FILE, TrainingLog, ValidationResult


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_losses_csv_columns_and_resume(tmp_path: Path) -> None:
    log = TrainingLog(tmp_path, ("total", "photometric"), tensorboard=False)
    for step in range(1, 6):
        log.log_step(step, 0, 1e-4, 2.5, {"total": 1.0 / step, "photometric": 0.5 / step}, elapsed_s=step * 1.234)
    log.close()
    rows = _rows(tmp_path / LOSSES_FILE)
    header = ["step", "epoch", "elapsed_s", "learning_rate", "steps_per_second", "total", "photometric"]
    assert list(rows[0]) == header
    assert rows[1]["elapsed_s"] == "2.47"  # rounded to 10 ms
    assert [row["step"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert float(rows[1]["total"]) == 0.5
    # Resumed from a checkpoint at step 3: steps 4 and 5 are done again, so the old rows go.
    log = TrainingLog(tmp_path, ("total", "photometric"), resume_step=3, tensorboard=False)
    log.log_step(4, 0, 1e-4, 2.5, {"total": 9.0, "photometric": 9.0})
    log.close()
    rows = _rows(tmp_path / LOSSES_FILE)
    assert [row["step"] for row in rows] == ["1", "2", "3", "4"]
    assert rows[-1]["total"] == "9.0"
    # A fresh run in the same folder starts the files again.
    TrainingLog(tmp_path, ("total",), tensorboard=False).close()
    assert _rows(tmp_path / LOSSES_FILE) == []


def test_validation_csv(tmp_path: Path) -> None:
    metrics = DepthMetrics(0.15, 1.0, 5.0, 0.2, 0.07, 0.8, 0.9, 0.95)
    result = ValidationResult(10, metrics, metrics, ScaleSource.STEREO, 1.0, 0.98, 4)
    log = TrainingLog(tmp_path, ("total",), tensorboard=False)
    log.log_validation(result, elapsed_s=61.0)
    log.log_validation(result)
    log.close()
    row, untimed = _rows(tmp_path / VALIDATION_FILE)
    assert row["step"] == "10"
    assert row["elapsed_s"] == "61.0"
    assert untimed["elapsed_s"] == ""
    assert float(row["abs_rel_median"]) == 0.15
    assert row["metric_source"] == "stereo"
    assert "Abs Rel 0.1500 (median-scaled)" in result.format()
