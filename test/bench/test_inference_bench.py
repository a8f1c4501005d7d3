"""The inference benchmark: a tiny real run, its table and verdicts, and the command's options."""

from __future__ import annotations

import pytest

from mono_depth_ros.bench import inference
from mono_depth_ros.bench.inference import InferenceResult, InferenceRow, kitti_like_intrinsics, run_inference
from mono_depth_ros.bench.timing import Timing
from mono_depth_ros.cli import main

TINY_SIZES = ((64, 64), (96, 64))
TINY_IMAGE = (124, 38)


@pytest.fixture
def tiny_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's run at tiny sizes (the real ones are 320x96 to 1024x320 on a 1242x375 image)."""
    monkeypatch.setattr(inference, "INFERENCE_NETWORK_SIZES", TINY_SIZES)
    monkeypatch.setattr(inference, "INFERENCE_IMAGE_SIZE", TINY_IMAGE)


def test_a_tiny_run_gives_sane_numbers() -> None:
    names: list[str] = []
    result = run_inference(2, sizes=TINY_SIZES, image_size=TINY_IMAGE, device="cpu", progress=names.append)
    assert names == ["inference 64x64 fp32", "inference 96x64 fp32"]
    assert (result.image_width, result.image_height, result.device) == (124, 38, "cpu")
    assert [(row.width, row.height, row.precision) for row in result.rows] == [(64, 64, "fp32"), (96, 64, "fp32")]
    for row in result.rows:
        for timing in (row.end_to_end, row.bare):
            assert timing.repeats == 2
            assert 0 < timing.median_ms <= timing.p90_ms < 60_000
        assert row.preprocess.repeats == 10
        assert 0 < row.ratio < 100
        assert not row.judged
    assert result.missed_targets() == []
    table = result.format().splitlines()
    assert table[0].startswith("inference (DepthEstimator, ResNet-18, cpu), 124x38 uint8 RGB -> depth at input ")
    assert "2 interleaved pairs per row after 3 warm-up" in table[0]
    assert table[1].split()[:3] == ["network", "precision", "end-to-end"]
    assert table[2].startswith("64x64     fp32 ")
    assert table[-1].startswith("ratio = end-to-end median / bare encoder+decoder forward median")


def _row(width: int, height: int, e2e_ms: float, bare_ms: float, precision: str = "fp32") -> InferenceRow:
    return InferenceRow(
        width, height, precision, Timing(e2e_ms, e2e_ms * 1.1, 20), Timing(bare_ms, bare_ms * 1.1, 20), Timing(1, 1, 20)
    )


def test_the_target_is_judged_at_640x192_fp32_only() -> None:
    rows = (_row(320, 96, 50.0, 30.0), _row(640, 192, 150.0, 140.0), _row(640, 192, 90.0, 40.0, "fp16"))
    met = InferenceResult(1242, 375, "cpu", 1, rows)
    assert met.missed_targets() == []
    lines = met.format().splitlines()
    assert lines[3].split() == [
        "640x192",
        "fp32",
        "150.0",
        "165.0",
        "6.7",
        "140.0",
        "154.0",
        "1.07",
        "1.00",
        "<=",
        "1.15x",
        "ok",
    ]
    assert "<=" not in lines[2]  # 320x96: no target
    assert "<=" not in lines[4]  # fp16: no target
    missed = InferenceResult(1242, 375, "cpu", 1, (_row(640, 192, 170.0, 140.0),))
    assert missed.missed_targets() == ["inference end-to-end <= 1.15x the bare forward at 640x192 (got 1.21x)"]
    assert missed.format().splitlines()[2].endswith("<= 1.15x MISSED")


def test_kitti_like_intrinsics() -> None:
    camera = kitti_like_intrinsics(1242, 375)
    assert (camera.width, camera.height) == (1242, 375)
    assert camera.fx == pytest.approx(721.5377)
    assert kitti_like_intrinsics(621, 188).fx == pytest.approx(721.5377 / 2)


def test_command_prints_the_machine_then_the_table(tiny_sizes: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "inference", "--repeats", "1", "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("machine: ")
    assert lines[2].startswith("inference (DepthEstimator, ResNet-18, cpu), 124x38 uint8 RGB")
    assert lines[4].startswith("64x64 ")
    assert lines[5].startswith("96x64 ")


def test_strict_fails_on_a_missed_ratio(
    tiny_sizes: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(inference, "INFERENCE_NETWORK_SIZES", ((64, 64),))
    monkeypatch.setattr(inference, "REFERENCE_SIZE", (64, 64))
    monkeypatch.setattr(inference, "TARGET_INFERENCE_RATIO", 1e-6)
    assert main(["bench", "inference", "--repeats", "1", "--device", "cpu", "--strict"]) == 1
    captured = capsys.readouterr()
    assert "<= 1e-06x MISSED" in captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros bench: error: missed targets: inference end-to-end <= 1e-06x the bare")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["inference", "--frames", "3"], "--frames applies to the render benchmark; inference is timed over --repeats"),
        (["inference", "--width", "64"], "--width/--height apply to render and conversions; inference times fixed"),
        (
            ["render", "--device", "cuda"],
            "--device applies to the inference, training and node benchmarks; render runs on the CPU",
        ),
        (["inference", "--device", "tpu"], "device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
    ],
)
def test_contradictory_or_bad_options(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", *arguments]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
