"""Training logs in the output folder: `losses.csv` (one row per logged step: step, epoch, learning rate, steps/s
and every loss term of the mode), `validation.csv` (one row per validation against ground truth),
`validation_losses.csv` (the loss terms on held-out windows, for data without ground truth), and TensorBoard event
files under `tensorboard/` when the tensorboard package is installed.

Rows are appended and flushed as they come (a log, not a document: a crash loses at most the row being written).
On resume, rows of steps after the checkpoint's step (written by the interrupted run after its last checkpoint) are
dropped once, by an atomic rewrite, so the files read as one uninterrupted run.
"""

from __future__ import annotations

import csv
import importlib.util
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.core.training.validation import ValidationResult

__all__ = [
    "LOSSES_FILE",
    "STEP_COLUMNS",
    "VALIDATION_COLUMNS",
    "VALIDATION_FILE",
    "VALIDATION_LOSSES_FILE",
    "CsvLog",
    "TrainingLog",
]

LOSSES_FILE = "losses.csv"
VALIDATION_FILE = "validation.csv"
VALIDATION_LOSSES_FILE = "validation_losses.csv"
STEP_COLUMNS = ("step", "epoch", "elapsed_s", "learning_rate", "steps_per_second")
VALIDATION_COLUMNS = (
    "step",
    "elapsed_s",
    "abs_rel_median",
    "abs_rel_metric",
    "sq_rel_median",
    "rmse_median",
    "delta1_median",
    "sq_rel_metric",
    "rmse_metric",
    "delta1_metric",
    "metric_source",
    "metric_factor",
    "median_ratio",
    "images",
)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def _step_of(row: Mapping[str, Any]) -> float:
    try:
        return int(row.get("step") or "")
    except ValueError:
        return math.inf  # a damaged row: dropped


class CsvLog:
    """One CSV file with fixed columns; rows appended and flushed."""

    def __init__(self, path: Path, columns: Sequence[str], *, resume_step: int | None = None) -> None:
        self.path = path
        self.columns = tuple(columns)
        self._prepare(resume_step)
        self._stream: IO[str] | None = path.open("a", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._stream, fieldnames=self.columns, restval="", extrasaction="ignore")

    def _prepare(self, resume_step: int | None) -> None:
        """Start the file with its header (a fresh run), or keep the rows up to `resume_step` of an existing one."""
        kept: list[dict[str, str]] = []
        if self.path.exists() and resume_step is not None:
            with self.path.open(encoding="utf-8", newline="") as stream:
                reader = csv.DictReader(stream)
                rows = list(reader)
                header = tuple(reader.fieldnames or ())
            kept = [row for row in rows if _step_of(row) <= resume_step]
            if header == self.columns and len(kept) == len(rows):
                return  # nothing to drop: keep appending
        with atomic_write(self.path, mode="w") as stream:
            writer = csv.DictWriter(stream, fieldnames=self.columns, restval="", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(kept)

    def write(self, row: Mapping[str, Any]) -> None:
        if self._stream is None:
            return
        self._writer.writerow({key: _format(value) for key, value in row.items()})
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class TrainingLog:
    """losses.csv, validation.csv and (when installed) TensorBoard, written by the main process only."""

    def __init__(
        self,
        folder: Path | str,
        loss_columns: Sequence[str],
        *,
        resume_step: int | None = None,
        tensorboard: bool = True,
        validation_losses: bool = False,
    ) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.loss_columns = tuple(loss_columns)
        self.losses = CsvLog(folder / LOSSES_FILE, STEP_COLUMNS + self.loss_columns, resume_step=resume_step)
        self.validation = CsvLog(folder / VALIDATION_FILE, VALIDATION_COLUMNS, resume_step=resume_step)
        self.validation_losses = None
        if validation_losses:
            columns = ("step", "elapsed_s", *self.loss_columns)
            self.validation_losses = CsvLog(folder / VALIDATION_LOSSES_FILE, columns, resume_step=resume_step)
        self._board = None
        if tensorboard and importlib.util.find_spec("tensorboard") is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._board = SummaryWriter(str(folder / "tensorboard"), purge_step=resume_step)

    def log_step(
        self,
        step: int,
        epoch: int,
        learning_rate: float,
        steps_per_second: float,
        terms: Mapping[str, float],
        *,
        elapsed_s: float | None = None,
    ) -> None:
        """One row of losses.csv; `elapsed_s` is the run's wall-clock time (over all invocations)."""
        row = {
            "step": step,
            "epoch": epoch,
            "elapsed_s": _seconds(elapsed_s),
            "learning_rate": learning_rate,
            "steps_per_second": steps_per_second,
        }
        self.losses.write({**row, **terms})
        if self._board is not None:
            for name, value in terms.items():
                self._board.add_scalar(f"loss/{name}", value, step)
            self._board.add_scalar("train/learning_rate", learning_rate, step)
            self._board.add_scalar("train/steps_per_second", steps_per_second, step)

    def log_validation(self, result: ValidationResult, *, elapsed_s: float | None = None) -> None:
        self.validation.write(
            {
                "step": result.step,
                "elapsed_s": _seconds(elapsed_s),
                "abs_rel_median": result.median.abs_rel,
                "abs_rel_metric": result.metric.abs_rel,
                "sq_rel_median": result.median.sq_rel,
                "rmse_median": result.median.rmse,
                "delta1_median": result.median.delta1,
                "sq_rel_metric": result.metric.sq_rel,
                "rmse_metric": result.metric.rmse,
                "delta1_metric": result.metric.delta1,
                "metric_source": result.metric_source.value,
                "metric_factor": result.metric_factor,
                "median_ratio": result.median_ratio,
                "images": result.images,
            }
        )
        if self._board is not None:
            self._board.add_scalar("validation/abs_rel_median", result.median.abs_rel, result.step)
            self._board.add_scalar("validation/abs_rel_metric", result.metric.abs_rel, result.step)
            self._board.add_scalar("validation/metric_factor", result.metric_factor, result.step)

    def log_validation_loss(self, step: int, terms: Mapping[str, float], *, elapsed_s: float | None = None) -> None:
        """One row of validation_losses.csv: the loss terms averaged over the held-out windows."""
        if self.validation_losses is None:
            return
        self.validation_losses.write({"step": step, "elapsed_s": _seconds(elapsed_s), **terms})
        if self._board is not None:
            for name, value in terms.items():
                self._board.add_scalar(f"validation_loss/{name}", value, step)

    def close(self) -> None:
        self.losses.close()
        if self.validation_losses is not None:
            self.validation_losses.close()
        self.validation.close()
        if self._board is not None:
            self._board.close()
            self._board = None


def _seconds(value: float | None) -> str | float:
    return "" if value is None else round(value, 2)
