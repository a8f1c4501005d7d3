"""`mono-depth-ros demo` end to end on a short drive: the real launcher, nodes and recorder; its outputs exist and
are well-formed, and metrics.json holds what the core evaluation module computes from the recorded depth."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.assets import DEMO_MODEL
from mono_depth_ros.cli import main
from mono_depth_ros.core.evaluation import DepthEvaluator, EvaluationOptions, Scaling
from mono_depth_ros.core.models import load_checkpoint
from mono_depth_ros.core.wire import stamp_ns
from mono_depth_ros.data.bag import iter_messages
from mono_depth_ros.data.bag.frames import message_to_depth
from mono_depth_ros.data.recording import SIM_TOPICS
from mono_depth_ros.demo import run_demo

from .test_demo_outputs import read_ply

pytestmark = pytest.mark.ros


def test_the_bundled_model_is_small_metric_and_loads() -> None:
    assert DEMO_MODEL.stat().st_size <= 30 * 1024 * 1024
    model = load_checkpoint(DEMO_MODEL)
    assert (model.input_width, model.input_height, model.stereo_baseline) == (320, 96, 0.54)
    assert list(model.state_dicts) == ["depth"]
    model.build_networks()


def test_a_short_demo_writes_its_outputs_and_scores_with_the_core_evaluation(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo", frames=60, device="cpu")  # 6 s: the scale comes after about 2.5 s
    folder = tmp_path / "demo"
    live = result.live
    assert live.frames_in == 60
    assert live.frames_out > 0
    assert live.scale_over_time, "calibration_node published no scale"

    metrics = json.loads((folder / "metrics.json").read_text())
    depths = {s.stamp_ns: s.value for s in result.session.recording.depths}
    arrived = {s.stamp_ns: s.arrival_s for s in result.session.recording.inputs}
    first_scale = result.session.recording.scales[0].arrival_s
    evaluator = DepthEvaluator(EvaluationOptions(crop="none", scaling=Scaling.NONE))
    for item in iter_messages(folder / "drive", [SIM_TOPICS.left_depth]):
        stamp = stamp_ns(item.message.header)
        if stamp in depths and arrived.get(stamp, -1.0) > first_scale:
            gt = message_to_depth(item.message)
            prediction = depths[stamp]
            evaluator.add(np.where(np.isfinite(prediction) & (prediction > 0), gt, np.nan), prediction)
    expected = evaluator.result().metrics
    assert metrics["metric"]["abs_rel"] == pytest.approx(expected.abs_rel, rel=1e-9)
    assert metrics["metric"]["delta1"] == pytest.approx(expected.delta1, rel=1e-9)
    assert metrics["frames_evaluated"] == len(evaluator.result().indices)
    assert metrics["met"] == (expected.abs_rel <= metrics["target_abs_rel"])

    assert 1 <= len(result.pictures) <= 4
    for picture in result.pictures:
        image = cv2.imread(str(picture))
        assert image.shape == (2 * live.height, live.width, 3)
    header, records = read_ply(folder / "points.ply")
    assert "property uchar red" in header
    assert records.shape[0] == result.points > 0.5 * live.width * live.height
    assert np.isfinite(records["z"]).all()
    assert (records["z"] > 0).all()
    assert (folder / "scale.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    summary = result.format()
    assert f"demo: a 60-frame synthetic stereo drive ({live.width}x{live.height}, 10 Hz)" in summary
    assert "metric depth, no ground-truth scaling: Abs Rel" in summary


def test_demo_mistakes_print_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "used" / "drive").mkdir(parents=True)
    assert main(["demo", "--out", str(tmp_path / "used")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"mono-depth-ros demo: error: {tmp_path / 'used'} already holds a demo (its drive bag); choose another --out "
        "or remove it"
    )
    assert main(["demo", "--checkpoint", str(tmp_path / "nope.pt")]) == 1
    assert f"--checkpoint '{tmp_path / 'nope.pt'}' does not exist" in capsys.readouterr().err


def test_the_command_offers_the_demos_calibrations() -> None:
    from mono_depth_ros.commands.demo import CALIBRATIONS
    from mono_depth_ros.demo import DEMO_CALIBRATIONS

    assert CALIBRATIONS == DEMO_CALIBRATIONS  # kept apart so that `demo --help` does not load torch
