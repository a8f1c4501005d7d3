"""ONNX export: onnxruntime matches torch at several sizes and batches, names, dynamic axes, metadata, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from mono_depth_ros.core.models import (
    Checkpoint,
    MetricScale,
    ModelConfig,
    Networks,
    ScaleSource,
    TrainingMode,
    onnx_export,
)
from mono_depth_ros.core.models.onnx_export import (
    ExportedDepth,
    OnnxExport,
    OnnxExportError,
    OnnxUnavailableError,
    export_onnx,
)

WIDTH, HEIGHT = 128, 64


def make_checkpoint(config: ModelConfig, seed: int = 0, **fields) -> Checkpoint:
    torch.manual_seed(seed)
    networks = Networks.build(config)
    for layer in networks.depth.modules():
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.running_mean.uniform_(-0.2, 0.2)
            layer.running_var.uniform_(0.5, 1.5)
    return Checkpoint.from_networks(networks, WIDTH, HEIGHT, **fields)


@pytest.fixture(scope="module")
def global_checkpoint() -> Checkpoint:
    """A ResNet-18 model made metric by a transferred global factor 2.5."""
    return make_checkpoint(ModelConfig(pose=False), metric_scale=MetricScale(ScaleSource.GLOBAL, 2.5))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, global_checkpoint: Checkpoint) -> OnnxExport:
    return export_onnx(global_checkpoint, tmp_path_factory.mktemp("onnx") / "model.onnx")


def run_both(path: Path, checkpoint: Checkpoint, images: torch.Tensor) -> tuple[np.ndarray, ...]:
    """(onnx disparity, onnx depth, torch disparity, torch relative depth) for `images`."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    disparity, depth = session.run(["disparity", "depth"], {"image": images.numpy()})
    with torch.no_grad():
        output = checkpoint.build_networks().depth(images)
    return disparity, depth, output.disparities[0].numpy(), output.depths[0].numpy()


@pytest.mark.parametrize(("batch", "height", "width"), [(1, HEIGHT, WIDTH), (2, 96, 160), (3, 128, 64)])
def test_onnxruntime_matches_torch_at_other_sizes_and_batches(
    exported: OnnxExport, global_checkpoint: Checkpoint, batch: int, height: int, width: int
) -> None:
    images = torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(height))
    disparity, depth, torch_disparity, torch_depth = run_both(exported.path, global_checkpoint, images)
    assert disparity.shape == depth.shape == (batch, 1, height, width)
    assert np.abs(disparity - torch_disparity).max() <= 1e-4
    # The global factor is applied inside the model: depth is in metres.
    assert np.max(np.abs(depth - 2.5 * torch_depth) / (2.5 * torch_depth)) <= 1e-4


def test_the_export_reports_its_checks_at_two_sizes(exported: OnnxExport) -> None:
    assert [(c.width, c.height, c.batch) for c in exported.checks] == [(WIDTH, HEIGHT, 1), (WIDTH + 32, HEIGHT + 64, 2)]
    for check in exported.checks:
        assert check.passed
        assert 0 <= check.max_disparity_difference <= 1e-4
        assert 0 <= check.max_depth_relative_difference <= 1e-4
    text = exported.format()
    assert "128x64 batch 1: max |disparity difference|" in text
    assert "160x128 batch 2" in text
    assert "depth in metres (x2.5, global)" in text


def test_names_dynamic_axes_and_opset_are_as_documented(exported: OnnxExport) -> None:
    model = onnx.load(str(exported.path))
    onnx.checker.check_model(model)

    def dims(value: onnx.ValueInfoProto) -> list[object]:
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [value.name for value in model.graph.input] == ["image"]
    assert [value.name for value in model.graph.output] == ["disparity", "depth"]
    assert dims(model.graph.input[0]) == ["batch", 3, "height", "width"]
    assert dims(model.graph.output[0]) == dims(model.graph.output[1]) == ["batch", 1, "height", "width"]
    for value in (*model.graph.input, *model.graph.output):
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert exported.opset == 17
    assert exported.exporter == "torchscript"


def test_metadata_and_doc_string_describe_the_outputs(exported: OnnxExport) -> None:
    model = onnx.load(str(exported.path))
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert metadata == exported.metadata
    assert metadata["mono_depth_ros.onnx_format_version"] == "1"
    assert metadata["depth_units"] == "metres"
    assert metadata["scale_source"] == "global"
    assert float(metadata["depth_factor"]) == 2.5
    assert float(metadata["metric_scale_factor"]) == 2.5
    assert (float(metadata["min_depth"]), float(metadata["max_depth"])) == (0.1, 100.0)
    assert (metadata["training_width"], metadata["training_height"]) == ("128", "64")
    assert (metadata["size_multiple"], metadata["min_input_size"]) == ("32", "64")
    assert metadata["training_mode"] == "mono"
    assert metadata["opset"] == "17"
    assert "multiples of 32, at least 64" in metadata["input"]
    assert "RGB in [0, 1]" in model.doc_string
    assert "multiples of 32, at least 64" in model.doc_string
    assert "times 2.5" in model.doc_string


def test_a_stereo_model_exports_metric_depth_with_its_factor(tmp_path: Path) -> None:
    checkpoint = make_checkpoint(
        ModelConfig(pose=False),
        seed=1,
        training_mode=TrainingMode.STEREO,
        stereo_baseline=0.1,
        metric_scale=MetricScale(ScaleSource.STEREO, 5.4),
    )
    result = export_onnx(checkpoint, tmp_path / "stereo.onnx", check_sizes=[(WIDTH, HEIGHT, 1)])
    assert (result.depth_units, result.depth_factor) == ("metres", 5.4)
    images = torch.rand(1, 3, HEIGHT, WIDTH, generator=torch.Generator().manual_seed(0))
    _, depth, _, torch_depth = run_both(result.path, checkpoint, images)
    np.testing.assert_allclose(depth, 5.4 * torch_depth, rtol=1e-4)
    assert result.metadata["stereo_baseline"] == "0.1"
    assert "training baseline 0.1 m" in result.metadata["scale_note"]


@pytest.mark.parametrize(
    ("config", "scale", "note"),
    [
        (ModelConfig(pose=False), MetricScale(), "relative (up to scale)"),
        (ModelConfig(pose=False, scale_cnn=True), MetricScale(ScaleSource.PER_IMAGE, 3.0), "scale CNN, which is not"),
        (ModelConfig(pose=False, two_stream=True), MetricScale(), "relative (up to scale)"),
    ],
)
def test_relative_models_export_relative_depth_and_say_so(
    tmp_path: Path, config: ModelConfig, scale: MetricScale, note: str
) -> None:
    checkpoint = make_checkpoint(config, seed=2, metric_scale=scale)
    result = export_onnx(checkpoint, tmp_path / "relative.onnx", check_sizes=[(WIDTH, HEIGHT, 2)])
    assert (result.depth_units, result.depth_factor) == ("relative", 1.0)
    assert result.metadata["depth_units"] == "relative"
    assert result.metadata["scale_source"] == scale.source.value
    assert note in result.metadata["scale_note"]
    assert result.metadata["two_stream"] == str(config.two_stream).lower()
    images = torch.rand(2, 3, 96, 64, generator=torch.Generator().manual_seed(0))
    disparity, depth, torch_disparity, torch_depth = run_both(result.path, checkpoint, images)
    assert np.abs(disparity - torch_disparity).max() <= 1e-4
    np.testing.assert_allclose(depth, torch_depth, rtol=1e-4)


@pytest.mark.parametrize("two_stream", [False, True])
def test_the_exported_module_is_the_depth_network(two_stream: bool) -> None:
    checkpoint = make_checkpoint(ModelConfig(pose=False, two_stream=two_stream, scales=(0, 2)), seed=3)
    network = checkpoint.build_networks().depth
    images = torch.rand(2, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        disparity, depth = ExportedDepth(network, 1.5)(images)
        output = network(images)
    assert torch.equal(disparity, output.disparities[0])
    assert torch.equal(depth, output.depths[0] * 1.5)


def test_a_failed_check_writes_nothing(
    tmp_path: Path, global_checkpoint: Checkpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "DISPARITY_TOLERANCE", -1.0)
    out = tmp_path / "model.onnx"
    with pytest.raises(OnnxExportError) as error:
        export_onnx(global_checkpoint, out, check_sizes=[(WIDTH, HEIGHT, 1)])
    assert "onnxruntime and torch disagree" in str(error.value)
    assert "128x64 batch 1: max |disparity difference|" in str(error.value)
    assert f"{out} was not written" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_atomically(tmp_path: Path, global_checkpoint: Checkpoint) -> None:
    out = tmp_path / "model.onnx"
    out.write_bytes(b"old")
    export_onnx(global_checkpoint, out, check_sizes=[(WIDTH, HEIGHT, 1)])
    assert onnx.load(str(out)).graph.input[0].name == "image"
    assert [path.name for path in tmp_path.iterdir()] == ["model.onnx"]


def test_the_dynamo_exporter_gives_the_same_interface(tmp_path: Path, global_checkpoint: Checkpoint) -> None:
    pytest.importorskip("onnxscript")
    result = export_onnx(global_checkpoint, tmp_path / "dynamo.onnx", exporter="dynamo")
    assert result.exporter == "dynamo"
    assert result.opset == 18
    assert all(check.passed for check in result.checks)
    model = onnx.load(str(result.path))
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, "height", "width"]
    assert [value.name for value in model.graph.output] == ["disparity", "depth"]
    assert {prop.key: prop.value for prop in model.metadata_props}["exporter"] == "dynamo"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"exporter": "tflite"}, "exporter must be one of ('torchscript', 'dynamo'), got 'tflite'"),
        ({"opset": 16}, "ONNX opset must be an integer >= 17, got 16"),
        ({"check_sizes": [(100, 64, 1)]}, "check size 100x64 batch 1: width and height must be multiples of 32"),
        ({"check_sizes": [(128, 32, 1)]}, "check size 128x32 batch 1"),
        ({"check_sizes": [(128, 64, 0)]}, "batch a positive integer"),
    ],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, global_checkpoint: Checkpoint, arguments: dict, message: str
) -> None:
    with pytest.raises(OnnxExportError) as error:
        export_onnx(global_checkpoint, tmp_path / "model.onnx", **arguments)
    assert message in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_output_folder_must_exist_and_output_must_not_be_a_folder(
    tmp_path: Path, global_checkpoint: Checkpoint
) -> None:
    with pytest.raises(OnnxExportError, match=r"output folder .*missing does not exist"):
        export_onnx(global_checkpoint, tmp_path / "missing" / "model.onnx")
    with pytest.raises(OnnxExportError, match=r"is a directory; give a file name such as model\.onnx"):
        export_onnx(global_checkpoint, tmp_path)


@pytest.mark.parametrize("module", ["onnx", "onnxruntime"])
def test_missing_onnx_packages_say_what_to_install(
    tmp_path: Path, global_checkpoint: Checkpoint, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(OnnxUnavailableError) as error:
        export_onnx(global_checkpoint, tmp_path / "model.onnx")
    assert str(error.value) == (
        f"ONNX export needs onnx, onnxruntime (missing: {module}): pip install onnx onnxruntime"
    )
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(OnnxUnavailableError, match="pip install onnx onnxruntime onnxscript"):
        export_onnx(global_checkpoint, tmp_path / "model.onnx", exporter="dynamo")
