"""ONNX export of a checkpoint's depth network, with dynamic batch, height and width, checked with onnxruntime.

The model has one input and two outputs:

    image      float32 (N, 3, H, W) RGB in [0, 1]; H and W multiples of 32 and at least 64
    disparity  float32 (N, 1, H, W) the decoder's sigmoid output at full resolution (scale 0)
    depth      float32 (N, 1, H, W) depth = 1 / (1/max + (1/min - 1/max) * disparity) (mean-normalised times mu for
               two-stream networks), times the checkpoint's metric factor when its metric scale is `stereo` or
               `global`: then in metres; otherwise relative (see the `depth_units` metadata)

Everything a consumer needs (units, factor, depth range, training size, size rule) is in the model's doc_string and
metadata_props. onnx and onnxruntime are optional dependencies (`pip install onnx onnxruntime`), imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.core.models.checkpoint import Checkpoint, ScaleSource
from mono_depth_ros.core.models.depth_network import MIN_INPUT_SIZE, SIZE_MULTIPLE, DepthNetwork, valid_input_size
from mono_depth_ros.core.models.errors import ModelError

ONNX_FORMAT_VERSION = 1
"""Version of the interface below (names, layout, metadata keys); bumped when any of it changes."""
INPUT_NAME = "image"
OUTPUT_NAMES = ("disparity", "depth")
DYNAMIC_AXES = {0: "batch", 2: "height", 3: "width"}
"""The same symbolic names on the input and both outputs: outputs have the input's batch and size."""
EXPORTERS = ("torchscript", "dynamo")
DEFAULT_OPSET = {"torchscript": 17, "dynamo": 18}
MIN_OPSET = 17
DISPARITY_TOLERANCE = 1e-4
"""max |onnxruntime - torch| allowed on the disparity (in [0, 1])."""
DEPTH_RELATIVE_TOLERANCE = 1e-4
"""max |onnxruntime - torch| / torch allowed on the depth (positive everywhere)."""
METRIC_SOURCES = (ScaleSource.STEREO, ScaleSource.GLOBAL)
"""Metric scale sources whose factor is a constant, so the exported depth is in metres."""


class OnnxExportError(ModelError):
    """The ONNX model cannot be written, or does not compute what the torch network computes."""


class OnnxUnavailableError(OnnxExportError):
    """onnx or onnxruntime (or onnxscript for the dynamo exporter) is not installed."""


class ExportedDepth(nn.Module):
    """The exported graph: image (N, 3, H, W) -> (disparity (N, 1, H, W), depth (N, 1, H, W)) at scale 0.

    The exporter keeps only what these two outputs need (the coarser scales' heads are dropped as dead code).
    """

    def __init__(self, network: DepthNetwork, depth_factor: float = 1.0) -> None:
        super().__init__()
        self.network = network
        self.depth_factor = float(depth_factor)
        self.scale_index = network.config.scales.index(0)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output = self.network(image)
        return output.disparities[self.scale_index], output.depths[self.scale_index] * self.depth_factor


@dataclass(frozen=True)
class OnnxCheck:
    """onnxruntime against torch on one random batch."""

    width: int
    height: int
    batch: int
    max_disparity_difference: float
    """max |onnxruntime - torch| over the disparity."""
    max_depth_relative_difference: float
    """max |onnxruntime - torch| / torch over the depth."""

    @property
    def passed(self) -> bool:
        return (
            self.max_disparity_difference <= DISPARITY_TOLERANCE
            and self.max_depth_relative_difference <= DEPTH_RELATIVE_TOLERANCE
        )

    def format(self) -> str:
        return (
            f"{self.width}x{self.height} batch {self.batch}: max |disparity difference| "
            f"{self.max_disparity_difference:.1e}, max relative depth difference "
            f"{self.max_depth_relative_difference:.1e}"
        )


@dataclass(frozen=True)
class OnnxExport:
    path: Path
    exporter: str
    opset: int
    depth_units: str
    """"metres" or "relative"."""
    depth_factor: float
    metadata: dict[str, str]
    checks: tuple[OnnxCheck, ...]

    def format(self) -> str:
        units = "metres" if self.depth_units == "metres" else "relative units"
        factor = f" (x{self.depth_factor:g}, {self.metadata['scale_source']})" if self.depth_units == "metres" else ""
        checks = "; ".join(check.format() for check in self.checks)
        return (
            f"exported {self.path} (opset {self.opset}, {self.exporter} exporter, depth in {units}{factor}); "
            f"onnxruntime vs torch: {checks}"
        )


def depth_factor_of(checkpoint: Checkpoint) -> tuple[float, str]:
    """The factor the exported depth carries and its units: the metric factor for stereo and global scale sources
    (metres), 1 otherwise (relative: per-image models need their scale CNN, monocular ones a calibrated scale)."""
    if checkpoint.metric_scale.source in METRIC_SOURCES:
        return float(checkpoint.metric_scale.factor), "metres"
    return 1.0, "relative"


def onnx_metadata(checkpoint: Checkpoint, exporter: str, opset: int) -> tuple[dict[str, str], str]:
    """metadata_props (all strings) and the doc_string describing the exported model."""
    factor, units = depth_factor_of(checkpoint)
    source = checkpoint.metric_scale.source
    notes = {
        ScaleSource.STEREO: f"stereo-trained (training baseline {checkpoint.stereo_baseline} m), rescaled by the "
        f"metric factor {factor:g} for the rig it was converted for",
        ScaleSource.GLOBAL: f"times the global factor {factor:g} transferred from a set with ground truth",
        ScaleSource.PER_IMAGE: "relative: this model's metric scale comes per image from its scale CNN, which is not "
        f"part of this ONNX model (its factor would be exp(log scale); the stored default factor is "
        f"{checkpoint.metric_scale.factor:g})",
        ScaleSource.NONE: "relative (up to scale): multiply by a scale from calibration (odometry, stereo, ground "
        "plane) or a known factor",
    }[source]
    unit_text = "metres" if units == "metres" else "relative units"
    size_rule = f"multiples of {SIZE_MULTIPLE}, at least {MIN_INPUT_SIZE}"
    metadata = {
        "mono_depth_ros.onnx_format_version": str(ONNX_FORMAT_VERSION),
        "input": f"{INPUT_NAME}: float32 (batch, 3, height, width) RGB in [0, 1]; height and width {size_rule}",
        "outputs": "disparity: float32 (batch, 1, height, width) sigmoid disparity in (0, 1); "
        f"depth: float32 (batch, 1, height, width) in {unit_text}",
        "size_multiple": str(SIZE_MULTIPLE),
        "min_input_size": str(MIN_INPUT_SIZE),
        "depth_units": units,
        "depth_factor": repr(factor),
        "scale_source": source.value,
        "metric_scale_factor": repr(float(checkpoint.metric_scale.factor)),
        "scale_note": notes,
        "min_depth": repr(float(checkpoint.model.min_depth)),
        "max_depth": repr(float(checkpoint.model.max_depth)),
        "training_width": str(checkpoint.input_width),
        "training_height": str(checkpoint.input_height),
        "training_mode": checkpoint.training_mode.value,
        "stereo_baseline": "" if checkpoint.stereo_baseline is None else repr(float(checkpoint.stereo_baseline)),
        "encoder_layers": str(checkpoint.model.encoder_layers),
        "two_stream": str(checkpoint.model.two_stream).lower(),
        "checkpoint": "" if checkpoint.path is None else str(checkpoint.path),
        "exporter": exporter,
        "opset": str(opset),
        "torch_version": torch.__version__,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    doc = (
        f"mono_depth_ros depth network (ResNet-{checkpoint.model.encoder_layers}"
        f"{', two-stream' if checkpoint.model.two_stream else ''}), trained at "
        f"{checkpoint.input_width}x{checkpoint.input_height}. Input {metadata['input']}. Outputs: "
        f"{metadata['outputs']}. depth = 1 / (1/{checkpoint.model.max_depth:g} + (1/{checkpoint.model.min_depth:g} - "
        f"1/{checkpoint.model.max_depth:g}) * disparity)"
        f"{' normalised by its mean and times the scale stream mu' if checkpoint.model.two_stream else ''}"
        f"{f' times {factor:g}' if units == 'metres' else ''}: {notes}."
    )
    return metadata, doc


def export_onnx(
    checkpoint: Checkpoint,
    path: Path | str,
    *,
    exporter: str = "torchscript",
    opset: int | None = None,
    check_sizes: Sequence[tuple[int, int, int]] | None = None,
) -> OnnxExport:
    """Write the depth network of `checkpoint` to `path` as ONNX, checked with onnxruntime before it is in place.

    `check_sizes` lists (width, height, batch) to compare onnxruntime with torch at (default: the training size with
    batch 1, and a larger size of another aspect with batch 2). `path` is written (atomically) only when every check
    passes (`OnnxExportError` otherwise, listing the differences), so it never holds a partial or wrong model.

    Exporter: "torchscript" (default, `dynamo=False`) traces the network: its graph has no data-dependent control
    flow, so a trace with dynamic_axes is exact at every size; it exports in ~2 s on two CPU cores and names the
    dynamic axes batch/height/width. "dynamo" (torch.export) is the exporter torch develops going forward (the
    TorchScript one is deprecated since torch 2.9 but still works in 2.13); it needs onnxscript, takes ~15-25 s here
    and is offered for the day torch drops the TorchScript exporter. Both are checked the same way.
    """
    if exporter not in EXPORTERS:
        raise OnnxExportError(f"exporter must be one of {EXPORTERS}, got {exporter!r}")
    opset = DEFAULT_OPSET[exporter] if opset is None else opset
    if not isinstance(opset, int) or isinstance(opset, bool) or opset < MIN_OPSET:
        raise OnnxExportError(f"ONNX opset must be an integer >= {MIN_OPSET}, got {opset!r}")
    onnx, onnxruntime = require_onnx(exporter)
    path = Path(path)
    if path.is_dir():
        raise OnnxExportError(f"output {path} is a directory; give a file name such as model.onnx")
    if not path.parent.is_dir():
        raise OnnxExportError(f"output folder {path.parent} does not exist")
    sizes = list(check_sizes) if check_sizes is not None else default_check_sizes(checkpoint)
    for width, height, batch in sizes:
        if not (valid_input_size(width) and valid_input_size(height)) or not isinstance(batch, int) or batch < 1:
            raise OnnxExportError(
                f"check size {width}x{height} batch {batch}: width and height must be multiples of {SIZE_MULTIPLE} "
                f"of at least {MIN_INPUT_SIZE}, batch a positive integer"
            )

    network = checkpoint.build_networks().depth.float().eval()
    factor, units = depth_factor_of(checkpoint)
    module = ExportedDepth(network, factor).eval()
    metadata, doc = onnx_metadata(checkpoint, exporter, opset)

    # torch writes into a private folder; the final file is written (atomically) only once onnxruntime agrees.
    with tempfile.TemporaryDirectory(prefix="mono_depth_ros_onnx_") as folder:
        exported = Path(folder) / "depth.onnx"
        _export(module, exported, exporter, opset, checkpoint)
        model = onnx.load(str(exported))
    if exporter == "dynamo":
        _rename_dynamic_dims(model)
    model.doc_string = doc
    del model.metadata_props[:]
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    contents = model.SerializeToString()
    checks = tuple(check_onnx(contents, network, factor, sizes, onnxruntime=onnxruntime))
    failed = [check for check in checks if not check.passed]
    if failed:
        raise OnnxExportError(
            f"onnxruntime and torch disagree beyond {DISPARITY_TOLERANCE:g} (disparity) / "
            f"{DEPTH_RELATIVE_TOLERANCE:g} (relative depth): " + "; ".join(c.format() for c in failed) + f"; "
            f"{path} was not written"
        )
    with atomic_write(path) as stream:
        stream.write(contents)
    return OnnxExport(path, exporter, opset, units, factor, metadata, checks)


def default_check_sizes(checkpoint: Checkpoint) -> list[tuple[int, int, int]]:
    """The training size with batch 1, and one 32 wider and 64 taller (another aspect ratio) with batch 2."""
    width, height = checkpoint.input_width, checkpoint.input_height
    return [(width, height, 1), (width + SIZE_MULTIPLE, height + 2 * SIZE_MULTIPLE, 2)]


def check_onnx(
    model: Path | str | bytes,
    network: DepthNetwork,
    depth_factor: float,
    sizes: Sequence[tuple[int, int, int]],
    *,
    seed: int = 0,
    onnxruntime: Any = None,
) -> list[OnnxCheck]:
    """Run the ONNX model (a file or its bytes) with onnxruntime (CPU) and `network.forward` in torch on the same
    random images."""
    if onnxruntime is None:
        _, onnxruntime = require_onnx("torchscript")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(seed)
    checks = []
    for width, height, batch in sizes:
        images = torch.rand(batch, 3, height, width, generator=generator)
        with torch.no_grad():
            output = network(images)
        index = output.scales.index(0)
        disparity = output.disparities[index].numpy()
        depth = (output.depths[index] * depth_factor).numpy()
        onnx_disparity, onnx_depth = session.run(list(OUTPUT_NAMES), {INPUT_NAME: images.numpy()})
        if onnx_disparity.shape != disparity.shape or onnx_depth.shape != depth.shape:
            raise OnnxExportError(
                f"onnxruntime output shapes {onnx_disparity.shape}, {onnx_depth.shape} at {width}x{height} batch "
                f"{batch}; torch gives {disparity.shape}"
            )
        checks.append(
            OnnxCheck(
                width,
                height,
                batch,
                float(abs(onnx_disparity - disparity).max()),
                float((abs(onnx_depth - depth) / abs(depth)).max()),
            )
        )
    return checks


def require_onnx(exporter: str = "torchscript") -> tuple[Any, Any]:
    """(onnx, onnxruntime), or `OnnxUnavailableError` saying what to pip install."""
    wanted = ["onnx", "onnxruntime"] + (["onnxscript"] if exporter == "dynamo" else [])
    modules = {}
    missing = []
    for name in wanted:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise OnnxUnavailableError(
            f"ONNX export needs {', '.join(wanted)} (missing: {', '.join(missing)}): pip install {' '.join(wanted)}"
        )
    return modules["onnx"], modules["onnxruntime"]


def _export(module: ExportedDepth, path: Path, exporter: str, opset: int, checkpoint: Checkpoint) -> None:
    dynamic_axes = {name: dict(DYNAMIC_AXES) for name in (INPUT_NAME, *OUTPUT_NAMES)}
    try:
        with _quiet_export():
            if exporter == "torchscript":
                example = torch.rand(1, 3, checkpoint.input_height, checkpoint.input_width)
                options = {"dynamic_axes": dynamic_axes, "do_constant_folding": True, "dynamo": False}
            else:
                from torch.export import Dim

                # Batch 2 in the example: torch.export specialises sizes of 1. Height and width are declared as
                # multiples of 32 (at least 64) so the decoder's skip concatenations hold for every size.
                example = torch.rand(2, 3, checkpoint.input_height, checkpoint.input_width)
                blocks = MIN_INPUT_SIZE // SIZE_MULTIPLE
                shapes = {
                    INPUT_NAME: {
                        0: Dim("batch", min=1),
                        2: SIZE_MULTIPLE * Dim("height_blocks", min=blocks),
                        3: SIZE_MULTIPLE * Dim("width_blocks", min=blocks),
                    }
                }
                options = {"dynamic_shapes": shapes, "dynamo": True, "external_data": False, "verbose": False}
            torch.onnx.export(
                module,
                (example,),
                str(path),
                input_names=[INPUT_NAME],
                output_names=list(OUTPUT_NAMES),
                opset_version=opset,
                **options,
            )
    except OnnxExportError:
        raise
    except Exception as error:
        other = "dynamo" if exporter == "torchscript" else "torchscript"
        hint = f" (the {other} exporter may work: --exporter {other})"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise OnnxExportError(
            f"torch's {exporter} exporter failed: {type(error).__name__}: {first_line}{hint}"
        ) from None


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporters' chatter (trace warnings, deprecation notices, progress lines); errors still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _rename_dynamic_dims(model: Any) -> None:
    """The dynamo exporter names the axes after their expressions ("32*height_blocks"): use batch/height/width."""
    image = next(value for value in model.graph.input if value.name == INPUT_NAME)
    dims = image.type.tensor_type.shape.dim
    renames = {dims[axis].dim_param: name for axis, name in DYNAMIC_AXES.items() if dims[axis].dim_param}
    for value in [*model.graph.input, *model.graph.output, *model.graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in renames:
                dim.dim_param = renames[dim.dim_param]
