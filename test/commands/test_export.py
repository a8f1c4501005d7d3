"""`mono-depth-ros export`: writes a checked ONNX model, prints the differences, fails with one line."""

from __future__ import annotations

import sys
from pathlib import Path

import onnx
import pytest

from mono_depth_ros.cli import main
from mono_depth_ros.core.models import (
    MetricScale,
    ModelConfig,
    ScaleSource,
    onnx_export,
    save_checkpoint,
)


@pytest.fixture(scope="module")
def checkpoint_path(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> Path:  # type: ignore[no-untyped-def]
    checkpoint = tiny_checkpoint(ModelConfig(pose=False), 128, 64, metric_scale=MetricScale(ScaleSource.GLOBAL, 2.0))
    return save_checkpoint(checkpoint, tmp_path_factory.mktemp("export") / "model.pt")


def test_export_writes_the_model_and_prints_the_differences(
    tmp_path: Path, checkpoint_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model.onnx"
    assert main(["export", "--checkpoint", str(checkpoint_path), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"exported {out} (opset 17, torchscript exporter, depth in metres (x2, global)); ")
    assert "128x64 batch 1: max |disparity difference| " in lines[0]
    assert "160x128 batch 2: max |disparity difference| " in lines[0]
    model = onnx.load(str(out))
    assert [value.name for value in model.graph.output] == ["disparity", "depth"]
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert metadata["checkpoint"] == str(checkpoint_path)

    # An existing output needs --force.
    assert main(["export", "--checkpoint", str(checkpoint_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"mono-depth-ros export: error: output {out} already exists (use --force to overwrite it)"]
    assert main(["export", "--checkpoint", str(checkpoint_path), "--out", str(out), "--force", "--opset", "18"]) == 0
    assert "(opset 18," in capsys.readouterr().out


def test_a_failed_check_fails_the_command_and_writes_nothing(
    tmp_path: Path, checkpoint_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "DEPTH_RELATIVE_TOLERANCE", -1.0)
    out = tmp_path / "model.onnx"
    assert main(["export", "--checkpoint", str(checkpoint_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros export: error: onnxruntime and torch disagree beyond 0.0001")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_checkpoint", "checkpoint {checkpoint}: does not exist"),
        ("missing_folder", "output folder {out_parent} does not exist"),
        ("low_opset", "ONNX opset must be an integer >= 17, got 13"),
    ],
)
def test_failures_print_one_line(
    tmp_path: Path, checkpoint_path: Path, capsys: pytest.CaptureFixture[str], case: str, message: str
) -> None:
    checkpoint = tmp_path / "absent.pt" if case == "missing_checkpoint" else checkpoint_path
    out = tmp_path / "nowhere" / "model.onnx" if case == "missing_folder" else tmp_path / "model.onnx"
    extra = ["--opset", "13"] if case == "low_opset" else []
    assert main(["export", "--checkpoint", str(checkpoint), "--out", str(out), *extra]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0] == "mono-depth-ros export: error: " + message.format(checkpoint=checkpoint, out_parent=out.parent)


def test_missing_onnxruntime_says_what_to_install(
    tmp_path: Path, checkpoint_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert main(["export", "--checkpoint", str(checkpoint_path), "--out", str(tmp_path / "m.onnx")]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "mono-depth-ros export: error: ONNX export needs onnx, onnxruntime (missing: onnxruntime): "
        "pip install onnx onnxruntime"
    ]


def test_help_documents_the_interface(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "usage: mono-depth-ros export" in out
    for phrase in ("multiples of 32 and at least 64", "`image`", "`disparity`", "`depth`", "1e-4", "metres"):
        assert phrase in out
    assert "pip install onnx onnxruntime" in out
    assert "not implemented" not in out


def test_the_command_exporters_are_the_core_ones() -> None:
    from mono_depth_ros.commands import export

    assert export.EXPORTERS == onnx_export.EXPORTERS
