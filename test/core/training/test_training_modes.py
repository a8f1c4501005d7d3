"""Every mode and option trains a step and writes a checkpoint that loads and predicts, with the right metric scale."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import ScaleSource, TrainingMode, load_checkpoint
from mono_depth_ros.core.training import RenderedDrive, SyntheticDataset, Trainer, TrainingConfig, render_drive

SIZE = 64


@pytest.fixture(scope="module")
def drives() -> dict[str, RenderedDrive]:
    return {
        "train": render_drive(SIZE, SIZE, 3, seed=0, stereo=True),
        "source": render_drive(SIZE, SIZE, 4, seed=9, stereo=True),
        "validation": render_drive(SIZE, SIZE, 1, seed=5),
    }


CASES = {
    "mono": ({"mode": "mono"}, ScaleSource.NONE, {"photometric", "automask_kept"}),
    "stereo": ({"mode": "stereo"}, ScaleSource.STEREO, {"photometric"}),
    "mono_stereo": ({"mode": "mono_stereo"}, ScaleSource.STEREO, {"photometric"}),
    "siamese_stereo": ({"mode": "siamese_stereo"}, ScaleSource.STEREO, {"stereo_image", "stereo_consistency"}),
    "two_stream_sag": ({"mode": "mono", "two_stream": True, "sag": True}, ScaleSource.NONE, {"sag", "sag_alignment"}),
    "scale_transfer": ({"mode": "mono", "scale_transfer": True, "batch_size": 2}, ScaleSource.GLOBAL, {"photometric"}),
    "adaptive_scale": ({"mode": "stereo", "adaptive_scale": True}, ScaleSource.PER_IMAGE, {"photometric"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mode_trains_and_its_checkpoint_predicts(case: str, tmp_path: Path, drives: dict[str, RenderedDrive]) -> None:
    values, source, terms = CASES[case]
    config = TrainingConfig.from_dict(
        {
            "width": SIZE,
            "height": SIZE,
            "batch_size": 1,
            "max_steps": 1,
            "scales": [0, 1],
            "device": "cpu",
            "scale_cnn_epochs": 2,
            "scale_cnn_batch_size": 2,
            **values,
        }
    )
    temporal = config.uses_temporal
    dataset = SyntheticDataset(drives["train"], temporal=temporal, depth=False)
    reference = SyntheticDataset(drives["source"], temporal=temporal, depth=True)
    reports = []
    result = Trainer(
        config,
        dataset,
        tmp_path,
        validation=drives["validation"].validation_set(),
        source=reference,
        progress=reports.append,
    ).run()
    assert result.step == 1
    train_terms = [report.terms for report in reports if report.phase == "train"]
    assert len(train_terms) == 1
    assert terms <= train_terms[-1].keys()
    assert all(math.isfinite(value) for value in train_terms[-1].values())

    checkpoint = load_checkpoint(result.checkpoint)
    assert checkpoint.step == 1
    assert checkpoint.training_mode is TrainingMode(config.mode)
    assert checkpoint.metric_scale.source is source
    assert checkpoint.model == config.model_config()
    if config.uses_right:
        assert checkpoint.stereo_baseline == pytest.approx(0.54)
    else:
        assert checkpoint.stereo_baseline is None
    if source is ScaleSource.GLOBAL:
        assert checkpoint.metric_scale.factor > 0
        assert checkpoint.metric_scale.factor != 1.0
    assert result.validation is not None
    assert result.validation.metric_source is source
    assert math.isfinite(result.validation.abs_rel_median)

    estimator = DepthEstimator(result.checkpoint, device="cpu", warmup=False)
    prediction = estimator.predict(drives["validation"].images[0])
    assert prediction.metric_depth.shape == (SIZE, SIZE)
    assert np.isfinite(prediction.metric_depth).all()
    if source is ScaleSource.PER_IMAGE:
        assert prediction.scale > 0
        assert prediction.scale != 1.0
