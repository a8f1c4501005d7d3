"""`mono-depth-ros bench`: fast runs of the real benchmarks (tiny sizes, few repeats), options and failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import torch

from mono_depth_ros.bench import conversions, inference
from mono_depth_ros.cli import main

CASE_NAMES = (
    "(a) Image rgb8 -> numpy",
    "(a') Image bgr8 -> RGB numpy",
    "(b) depth -> 32FC1 Image",
    "(c) PointCloud2 xyz+rgb, vectorised",
    "    of which back-projection (torch)",
    "    of which packing + message",
    "(c') PointCloud2, per-point loop",
)
TINY = ["--width", "64", "--height", "32"]


@pytest.fixture
def keep_torch_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_bench_is_implemented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "not implemented" not in next(line for line in capsys.readouterr().out.splitlines() if " bench " in line)
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: mono-depth-ros bench [-h]" in out
    assert "{render,conversions,inference,training,node,calibration,loader,all}" in out


def test_render_prints_the_machine_then_both_modes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "render", "--frames", "2", *TINY]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("machine: ")
    assert "renderer (synthetic street, cpu), 64x32, 2 timed frames per mode after 3 warm-up" in lines
    assert any(line.startswith("mono ") for line in lines)
    assert any(line.startswith("stereo ") for line in lines)
    assert lines[-1] == "(the target is set for 640x192; not judged at 64x32)"
    assert not any("conversions" in line for line in lines)


def test_conversions_at_the_reference_size_checks_bytes_and_judges_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "conversions", "--repeats", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("machine: ")
    assert "message conversions, 640x192" in lines
    for name in CASE_NAMES:
        assert any(line.startswith(name + " ") for line in lines), name
    assert any(
        line.startswith("(a) Image rgb8 -> numpy ") and line.endswith(("<= 1 ok", "<= 1 MISSED")) for line in lines
    )
    # 640 x 192 points of 16 bytes, the same from the vectorised path and the loop.
    assert lines[-1].endswith("bytes and layout identical (1966080 bytes each)")
    assert "(target >= 10x " in lines[-1]


def test_all_runs_every_benchmark_in_order_with_tiny_settings(
    capsys: pytest.CaptureFixture[str], keep_torch_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inference, "INFERENCE_NETWORK_SIZES", ((64, 64),))
    monkeypatch.setattr(inference, "INFERENCE_IMAGE_SIZE", (100, 40))
    assert main(["bench", "--frames", "1", "--repeats", "1", "--threads", "1", *TINY]) == 0
    out = capsys.readouterr().out
    assert out.startswith("machine: ")
    assert ", intra-op threads 1; " in out.splitlines()[0]
    assert out.index("renderer (synthetic street") < out.index("message conversions, 64x32")
    assert out.index("message conversions, 64x32") < out.index("inference (DepthEstimator, ResNet-18, ")
    assert "bytes and layout identical (32768 bytes each)" in out


def test_differing_clouds_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = conversions.loop_pointcloud2

    def corrupted(*args: Any) -> conversions.ReferenceCloud:
        cloud = reference(*args)
        cloud.data[5] ^= 0xFF
        return cloud

    monkeypatch.setattr(conversions, "loop_pointcloud2", corrupted)
    assert main(["bench", "conversions", "--repeats", "1", *TINY]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("machine: ")
    assert "message conversions" not in captured.out
    assert captured.err.strip().splitlines() == [
        "mono-depth-ros bench: error: vectorised and per-point PointCloud2 bytes differ (32768 bytes each)"
    ]


def test_differing_layouts_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = conversions.loop_pointcloud2

    def sparse_claim(*args: Any) -> conversions.ReferenceCloud:
        cloud = reference(*args)
        height, width, point_step, row_step, is_dense, is_bigendian, fields = cloud.layout
        return replace(cloud, layout=(height, width, point_step, row_step, not is_dense, is_bigendian, fields))

    monkeypatch.setattr(conversions, "loop_pointcloud2", sparse_claim)
    assert main(["bench", "conversions", "--repeats", "1", *TINY]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        "mono-depth-ros bench: error: vectorised and per-point PointCloud2 layouts differ: (32, 64, "
    )


def test_strict_fails_on_a_missed_target(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(conversions, "TARGET_SPEEDUP", 1e9)
    assert main(["bench", "conversions", "--repeats", "1", "--strict"]) == 1
    captured = capsys.readouterr()
    assert "(target >= 1e+09x MISSED)" in captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros bench: error: missed targets: ")
    assert "(c) speed-up over the loop >= 1e+09x (got " in err[0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["render", "--repeats", "3"],
            "--repeats applies to the conversions, inference, training and node benchmarks; the renderer is timed "
            "over --frames",
        ),
        (
            ["conversions", "--frames", "3"],
            "--frames applies to the render benchmark; conversions is timed over --repeats",
        ),
        (["training", "--duration", "5"], "--duration applies to the node benchmark, not training"),
        (["calibration"], "the calibration benchmark needs --checkpoint (a model trained on the synthetic world)"),
        (["node", "--checkpoint", "m.pt"], "--checkpoint applies to the calibration benchmark, not node"),
        (
            ["conversions", "--device", "cpu"],
            "--device applies to the inference, training and node benchmarks; conversions runs on the CPU",
        ),
        (
            ["training", "--width", "64"],
            "--width/--height apply to render and conversions; training times fixed sizes (steps at 320x96, 640x192)",
        ),
        (
            ["--strict", "--width", "64"],
            "--strict judges targets set for 640x192, not 64x192: drop --width/--height or --strict",
        ),
    ],
)
def test_contradictory_options_fail_before_running(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *arguments]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"mono-depth-ros bench: error: {message}"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--frames", "0"], "expected a positive integer, got 0"),
        (["--repeats", "many"], "expected a positive integer, got 'many'"),
        (["stereo"], "invalid choice: 'stereo'"),
    ],
)
def test_bad_values_are_usage_errors(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
