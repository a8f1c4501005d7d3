"""`mono-depth-ros eval` end to end: KITTI ground-truth PNGs and a synthetic bag, each scaling protocol, errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.cli import main
from mono_depth_ros.core.evaluation import Crop, DepthEvaluator, EvaluationOptions, Scaling, find_kitti_eval_files
from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import MetricScale, ModelConfig, ScaleSource, save_checkpoint
from mono_depth_ros.data.recording import RecordingOptions, record_drive

METRICS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "delta1", "delta2", "delta3")


@pytest.fixture
def make_checkpoint(tiny_checkpoint, tmp_path):
    """make_checkpoint(**Checkpoint fields) -> the path of a 128x64 monocular checkpoint (seed 1) in tmp_path."""

    def make(**fields) -> Path:
        checkpoint = tiny_checkpoint(ModelConfig(pose=False), 128, 64, seed=1, **fields)
        return save_checkpoint(checkpoint, tmp_path / "model.pt")

    return make


@pytest.fixture(scope="module")
def drive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "drive"
    record_drive(RecordingOptions(out=out, frames=3, width=160, height=64, seed=2))
    return out


def run_eval(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_kitti_end_to_end_matches_the_core_evaluation(tmp_path, kitti_root, capsys, make_checkpoint):
    checkpoint = make_checkpoint()
    out = tmp_path / "kitti.json"
    raw, gt = kitti_root, kitti_root / "kitti_depth_mini"
    code, stdout, _ = run_eval(
        capsys, "--checkpoint", str(checkpoint), "--kitti-raw", str(raw), "--kitti-gt", str(gt), "--out", str(out)
    )
    assert code == 0
    assert "abs_rel" in stdout
    assert "model.pt (median)" in stdout
    report = json.loads(out.read_text())
    assert report["frames"] == 5
    assert report["evaluated"] == 5
    assert report["options"]["crop"] == "garg"
    assert report["options"]["scaling"] == "median"
    assert report["model_is_metric"] is False
    # The same numbers from the core modules directly: the command adds no evaluation logic of its own.
    estimator = DepthEstimator(checkpoint, device="cpu")
    evaluator = DepthEvaluator(EvaluationOptions(crop=Crop.GARG, scaling=Scaling.MEDIAN))
    for entry in find_kitti_eval_files(raw, gt):
        rgb = cv2.cvtColor(cv2.imread(str(entry.image_path)), cv2.COLOR_BGR2RGB)
        evaluator.add(entry.load().gt_depth, estimator.predict(rgb).relative_depth)
    expected = evaluator.result().metrics.to_dict()
    for name in METRICS:
        assert report["metrics"][name] == pytest.approx(expected[name], rel=1e-5)
    assert 0 < report["metrics"]["abs_rel"] < 5
    assert 0 <= report["metrics"]["delta1"] <= 1


def test_bag_protocols_agree_where_they_must(tmp_path, drive, capsys, make_checkpoint):
    factor = 7.5
    checkpoint = make_checkpoint(metric_scale=MetricScale(ScaleSource.GLOBAL, factor))
    reports = {}
    for name, extra in {
        "none": ["--scaling", "none"],
        "fixed": ["--scaling", "fixed", "--factor", str(factor)],
        "median": ["--scaling", "median"],
        "global": ["--scaling", "global"],
        "auto": [],
    }.items():
        out = tmp_path / f"{name}.json"
        code, _, _ = run_eval(capsys, "--checkpoint", str(checkpoint), "--bag", str(drive), "--out", str(out), *extra)
        assert code == 0
        reports[name] = json.loads(out.read_text())
    assert reports["none"]["frames"] == 3
    assert reports["none"]["options"]["crop"] == "none"
    assert reports["auto"]["options"]["scaling"] == "none"  # the checkpoint is metric (a transferred factor)
    for metric in METRICS:
        # The checkpoint's own factor and the same factor given explicitly score identically.
        assert reports["fixed"]["metrics"][metric] == pytest.approx(reports["none"]["metrics"][metric], rel=1e-6)
    assert reports["global"]["factors"][0] == pytest.approx(np.median(reports["median"]["factors"]), rel=0.5)
    assert reports["median"]["ratio_median"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no data: give --bag BAG"),
        (["--bag", "b", "--kitti-raw", "r"], "give either --bag or --kitti-raw/--kitti-gt, not both"),
        (["--kitti-raw", "r"], "KITTI evaluation needs both --kitti-raw and --kitti-gt"),
        (["--gt-topic", "/d"], "--gt-topic and --image-topic need --bag"),
        (["--bag", "b", "--factor", "2"], "--factor goes with --scaling fixed"),
        (["--bag", "b", "--scaling", "fixed"], "--scaling fixed needs --factor"),
    ],
)
def test_option_errors_print_one_line(tmp_path, capsys, args, message):
    code, _, err = run_eval(capsys, "--checkpoint", str(tmp_path / "model.pt"), *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_data_errors_print_one_line(tmp_path, drive, capsys, make_checkpoint):
    checkpoint = make_checkpoint()
    code, _, err = run_eval(capsys, "--checkpoint", str(tmp_path / "absent.pt"), "--bag", str(drive))
    assert code == 1
    assert "absent.pt: does not exist" in err
    code, _, err = run_eval(capsys, "--checkpoint", str(checkpoint), "--bag", str(drive), "--gt-topic", "/nope")
    assert code == 1
    assert "has no topic /nope; it has:" in err
    code, _, err = run_eval(
        capsys, "--checkpoint", str(checkpoint), "--bag", str(drive), "--out", str(tmp_path / "missing" / "r.json")
    )
    assert code == 1
    assert "--out folder" in err
    assert "does not exist" in err
