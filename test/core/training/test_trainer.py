"""The Trainer: the loss goes down, a resumed run continues bitwise, a stop request saves, bad data is refused."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import TrainingMode
from mono_depth_ros.core.training import (
    LOSSES_FILE,
    VALIDATION_FILE,
    Progress,
    RenderedDrive,
    SyntheticDataset,
    Trainer,
    TrainingConfig,
    TrainingConfigError,
    TrainingResult,
    list_checkpoints,
    render_drive,
)

WIDTH, HEIGHT = 192, 64


@pytest.fixture(scope="module")
def drive() -> RenderedDrive:
    return render_drive(WIDTH, HEIGHT, 4, seed=0)


@pytest.fixture(scope="module")
def held_out() -> RenderedDrive:
    return render_drive(WIDTH, HEIGHT, 1, seed=5)


def _config(**values: object) -> TrainingConfig:
    base = {
        "width": WIDTH,
        "height": HEIGHT,
        "batch_size": 1,
        "scales": (0,),
        "device": "cpu",
        "checkpoint_every": 1000,
        "validate_every": 1000,
        "max_steps": 4,
    }
    return TrainingConfig.from_dict({**base, **values})


def _losses(folder: Path) -> list[dict[str, str]]:
    with (folder / LOSSES_FILE).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@dataclass(frozen=True)
class Run:
    folder: Path
    result: TrainingResult
    reports: list[Progress]


@pytest.fixture(scope="module")
def twenty_steps(tmp_path_factory: pytest.TempPathFactory, held_out: RenderedDrive) -> Run:
    """One sample, unaugmented, so every step sees the same batch; without auto-masking every pixel's error counts
    (early on the identity wins most pixels, which hides the progress of 20 steps)."""
    folder = tmp_path_factory.mktemp("twenty")
    config = _config(max_steps=20, flip_probability=0.0, colour_probability=0.0, automask=False)
    dataset = SyntheticDataset(render_drive(WIDTH, HEIGHT, 3, seed=0))
    assert len(dataset) == 1
    reports: list[Progress] = []
    result = Trainer(config, dataset, folder, validation=held_out.validation_set(), progress=reports.append).run()
    return Run(folder, result, reports)


def test_twenty_steps_lower_the_loss(twenty_steps: Run) -> None:
    result, reports = twenty_steps.result, twenty_steps.reports
    assert result.step == 20
    assert not result.stopped
    totals = [float(row["total"]) for row in _losses(twenty_steps.folder)]
    assert len(totals) == 20
    assert sum(totals[-5:]) / 5 < 0.8 * sum(totals[:2]) / 2
    steps = [report.step for report in reports if report.phase == "train"]
    assert steps == list(range(1, 21))
    assert reports[-2].terms.keys() == {"total", "photometric", "smoothness"}
    assert reports[-2].steps_per_second > 0
    # Validated before training (the untrained value) and at the end.
    assert [report.validation.step for report in reports if report.phase == "validate"] == [0, 20]
    with (twenty_steps.folder / VALIDATION_FILE).open(encoding="utf-8") as stream:
        assert [row["step"] for row in csv.DictReader(stream)] == ["0", "20"]
    assert [step for step, _ in list_checkpoints(twenty_steps.folder)] == [20]
    prediction = DepthEstimator(result.checkpoint, device="cpu", warmup=False).predict(np.zeros((32, 48, 3), np.uint8))
    assert np.isfinite(prediction.relative_depth).all()


def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path: Path, drive: RenderedDrive) -> None:
    """Step 3 after resuming from the step-2 checkpoint equals, bit for bit, that of a run that went on (same data
    order, augmentation, auto-mask noise, optimiser and scheduler state)."""
    dataset = SyntheticDataset(drive)
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    Trainer(_config(max_steps=3, lr_step_size=2), dataset, straight).run()
    first = Trainer(_config(max_steps=2, lr_step_size=2), dataset, interrupted).run()
    assert first.step == 2
    resumed = Trainer(_config(max_steps=3, lr_step_size=2), dataset, interrupted).run()
    assert resumed.resumed_from == interrupted / "checkpoint-00000002.pt"
    assert resumed.step == 3
    expected, got = _losses(straight), _losses(interrupted)
    assert [row["step"] for row in got] == ["1", "2", "3"]
    for column in ("total", "photometric", "smoothness", "automask_kept", "learning_rate"):
        assert got[2][column] == expected[2][column]
    assert float(got[2]["learning_rate"]) == pytest.approx(0.1 * float(got[0]["learning_rate"]))  # the step decay


def test_stop_request_saves_and_returns(tmp_path: Path, drive: RenderedDrive) -> None:
    written: list[Path] = []
    trainer: Trainer

    def progress(report: Progress) -> None:
        if report.step == 2:
            trainer.request_stop()  # as a ROS node's service callback would, from another thread

    trainer = Trainer(
        _config(max_steps=50), SyntheticDataset(drive), tmp_path, progress=progress, on_checkpoint=written.append
    )
    result = trainer.run()
    assert result.stopped
    assert result.step == 2
    assert written == [tmp_path / "checkpoint-00000002.pt"]
    assert result.checkpoint == written[0]


def test_a_stop_before_the_first_step_writes_no_checkpoint(tmp_path: Path, drive: RenderedDrive) -> None:
    trainer = Trainer(_config(max_steps=50), SyntheticDataset(drive), tmp_path)
    trainer.request_stop()  # a node shut down while the networks were being built
    result = trainer.run()
    assert (result.stopped, result.step, result.checkpoint) == (True, 0, None)
    assert not list(tmp_path.glob("checkpoint-*.pt"))  # an untrained step-0 checkpoint would be resumed later


def test_a_time_limit_ends_the_run_as_its_last_step_would(
    tmp_path: Path, drive: RenderedDrive, held_out: RenderedDrive
) -> None:
    """A limit that passes during the first step: that step is taken (every invocation makes progress), then the
    run validates and saves as at max_steps; a rerun resumes and its elapsed time carries on from the first's."""
    limited = _config(max_steps=50, time_limit_minutes=1e-6)
    result = Trainer(limited, SyntheticDataset(drive), tmp_path, validation=held_out.validation_set()).run()
    assert result.step == 1
    assert not result.stopped  # a normal end, not a stop request
    assert result.checkpoint == tmp_path / "checkpoint-00000001.pt"
    with (tmp_path / VALIDATION_FILE).open(encoding="utf-8") as stream:
        assert [row["step"] for row in csv.DictReader(stream)] == ["0", "1"]
    again = Trainer(_config(max_steps=2), SyntheticDataset(drive), tmp_path).run()
    assert again.resumed_from == result.checkpoint
    assert again.step == 2
    first, second = (float(row["elapsed_s"]) for row in _losses(tmp_path))
    assert second > first > 0


def test_data_that_does_not_fit_is_refused(tmp_path: Path, drive: RenderedDrive) -> None:
    with pytest.raises(TrainingConfigError, match=r"mode 'stereo' needs a right image .* but synthetic world seed 0"):
        Trainer(_config(mode=TrainingMode.STEREO), SyntheticDataset(drive), tmp_path)
    with pytest.raises(TrainingConfigError, match=r"width x height is 256x64, but synthetic world seed 0 has 192x64"):
        Trainer(_config(width=256), SyntheticDataset(drive), tmp_path)
    with pytest.raises(TrainingConfigError, match=r"scale_transfer true needs a source set with ground-truth depth"):
        Trainer(_config(scale_transfer=True, batch_size=2), SyntheticDataset(drive), tmp_path)


def test_resuming_with_other_networks_is_refused(twenty_steps: Run, drive: RenderedDrive) -> None:
    with pytest.raises(TrainingConfigError, match=r"two_stream is True, but the run in .* was trained with False"):
        Trainer(_config(max_steps=30, two_stream=True), SyntheticDataset(drive), twenty_steps.folder).run()
