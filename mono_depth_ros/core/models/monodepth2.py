"""Importing a monodepth2 model folder (Godard et al., "Digging into self-supervised monocular depth estimation").

A folder written by monodepth2's trainer holds one state dict per network:

    encoder.pth        the depth encoder, a torchvision ResNet under `encoder.` (its unused classifier `encoder.fc.*`
                       included), plus the entries `height`, `width` (the training resolution) and `use_stereo`
    depth.pth          the depth decoder, its convolutions in one `decoder` ModuleList: `decoder.{i}.conv.conv.*` for
                       the ten ELU blocks (upconv (4, 0), (4, 1), (3, 0), ..., (0, 1)) and `decoder.{10 + s}.conv.*`
                       for the disparity heads of scales s = 0..3
    pose_encoder.pth   (optional) the pose encoder, a ResNet over two stacked frames (6 input channels), `encoder.`
    pose.pth           (optional, with pose_encoder.pth) the pose decoder `net.0` (squeeze 1x1), `net.1`, `net.2`
                       (3x3) and `net.3` (1x1, 6 channels per predicted transform; monodepth2 predicts two and uses the
                       first, so its first 6 channels are kept)
    adam.pth           the optimiser state (not imported)

The networks are the same as ours (our `ResnetEncoder` keeps torchvision's names; our decoder names its stages), so
import is a renaming of keys: the converted checkpoint computes exactly what monodepth2 computes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from mono_depth_ros.core.models.checkpoint import Checkpoint, MetricScale, ScaleSource, TrainingMode
from mono_depth_ros.core.models.config import ModelConfig
from mono_depth_ros.core.models.depth_network import MIN_INPUT_SIZE, SIZE_MULTIPLE, valid_input_size
from mono_depth_ros.core.models.errors import CheckpointError, ModelConfigError, ModelError
from mono_depth_ros.core.models.networks import Networks
from mono_depth_ros.core.models.weights import load_weights_only, some_keys, state_dict_problem

ENCODER_FILE = "encoder.pth"
DEPTH_FILE = "depth.pth"
POSE_ENCODER_FILE = "pose_encoder.pth"
POSE_FILE = "pose.pth"

MONODEPTH2_STEREO_BASELINE = 0.1
"""The stereo baseline monodepth2 trains with (its `stereo_T`): stereo-trained depth is metric for a 0.1 m rig."""
KITTI_STEREO_BASELINE = 0.54
"""KITTI's stereo baseline in metres; monodepth2's STEREO_SCALE_FACTOR 5.4 is KITTI / training baseline."""

ENCODER_PREFIX = "encoder."
CLASSIFIER_PREFIX = "encoder.fc."
"""torchvision's ImageNet classifier, saved by monodepth2 but never used by a dense-prediction encoder."""
ENCODER_ENTRIES = ("height", "width", "use_stereo")
"""Non-tensor entries monodepth2 adds to encoder.pth."""
DECODER_BLOCKS = 10
"""upconv (i, 0) and (i, 1) for i = 4 .. 0: ModuleList indices 0..9; the disparity heads follow at 10 + scale."""
POSE_LAYERS = {"0": "squeeze", "1": "conv1", "2": "conv2", "3": "output"}
POSE_CHANNELS = 6
"""Axis-angle (3) and translation (3) of one transform."""

# ResNet blocks per layer and whether blocks are bottlenecks -> depth.
RESNET_DEPTHS = {((2, 2, 2, 2), False): 18, ((3, 4, 6, 3), False): 34, ((3, 4, 6, 3), True): 50}

_DECODER_KEY = re.compile(r"^decoder\.(\d+)\.(conv\.conv|conv)\.(weight|bias)$")
_BLOCK_KEY = re.compile(r"^encoder\.layer([1-4])\.(\d+)\.")


class Monodepth2ImportError(CheckpointError):
    """A monodepth2 model folder cannot be imported; the message names the folder (and file) and the problem."""

    def __init__(self, folder: Path | str, problem: str) -> None:
        self.path = Path(folder)
        self.problem = problem
        ModelError.__init__(self, f"monodepth2 model folder {folder}: {problem}")


def import_monodepth2(
    folder: Path | str,
    *,
    rig_baseline: float = KITTI_STEREO_BASELINE,
    min_depth: float = 0.1,
    max_depth: float = 100.0,
) -> Checkpoint:
    """Read a monodepth2 model folder into a `Checkpoint` (weights as float32 on the CPU, not yet saved).

    `rig_baseline` (metres) is the baseline of the stereo rig whose metric depth a stereo-trained model (use_stereo)
    should give: its metric factor is rig_baseline / 0.1 (0.54 m, KITTI, gives monodepth2's 5.4). `min_depth` and
    `max_depth` are monodepth2's --min_depth / --max_depth, which the folder does not record (defaults 0.1 and 100).
    Every problem raises `Monodepth2ImportError` naming the folder.
    """
    folder = Path(folder)
    if not folder.exists():
        raise Monodepth2ImportError(folder, "does not exist")
    if not folder.is_dir():
        raise Monodepth2ImportError(folder, "is not a folder (expected a folder with encoder.pth and depth.pth)")
    if not (
        isinstance(rig_baseline, (int, float)) and not isinstance(rig_baseline, bool) and 0 < rig_baseline < math.inf
    ):
        raise Monodepth2ImportError(folder, f"rig baseline must be a positive number of metres, got {rig_baseline!r}")
    missing = [name for name in (ENCODER_FILE, DEPTH_FILE) if not (folder / name).is_file()]
    if missing:
        raise Monodepth2ImportError(folder, f"{' and '.join(missing)} missing (a monodepth2 model needs both)")
    pose_files = [(folder / name).is_file() for name in (POSE_ENCODER_FILE, POSE_FILE)]
    if pose_files[0] != pose_files[1]:
        present, absent = (POSE_ENCODER_FILE, POSE_FILE) if pose_files[0] else (POSE_FILE, POSE_ENCODER_FILE)
        raise Monodepth2ImportError(folder, f"{present} is present without {absent}: the pose network needs both")
    has_pose = pose_files[0]

    encoder = _load(folder, ENCODER_FILE)
    width, height, use_stereo = _encoder_entries(folder, encoder)
    depth_state = {
        **_encoder_state(folder, ENCODER_FILE, encoder),
        **_decoder_state(folder, _load(folder, DEPTH_FILE)),
    }
    encoder_layers = _resnet_depth(folder, ENCODER_FILE, depth_state)
    states = {"depth": depth_state}
    pose_layers = encoder_layers
    if has_pose:
        pose_state = {
            **_encoder_state(folder, POSE_ENCODER_FILE, _load(folder, POSE_ENCODER_FILE)),
            **_pose_decoder_state(folder, _load(folder, POSE_FILE)),
        }
        pose_layers = _resnet_depth(folder, POSE_ENCODER_FILE, pose_state)
        states["pose"] = pose_state

    try:
        config = ModelConfig(
            encoder_layers=encoder_layers,
            pose_encoder_layers=pose_layers,
            scales=(0, 1, 2, 3),
            min_depth=min_depth,
            max_depth=max_depth,
            pose=has_pose,
        )
    except ModelConfigError as error:
        raise Monodepth2ImportError(folder, str(error)) from None
    _check_against_networks(folder, config, states)

    if use_stereo:
        mode = TrainingMode.MONO_STEREO if has_pose else TrainingMode.STEREO
        baseline: float | None = MONODEPTH2_STEREO_BASELINE
        scale = MetricScale(ScaleSource.STEREO, float(rig_baseline) / MONODEPTH2_STEREO_BASELINE)
    else:
        mode, baseline, scale = TrainingMode.MONO, None, MetricScale(ScaleSource.NONE, 1.0)
    files = [ENCODER_FILE, DEPTH_FILE] + ([POSE_ENCODER_FILE, POSE_FILE] if has_pose else [])
    metadata = {
        "source": "monodepth2",
        "source_folder": str(folder.resolve()),
        "imported_files": ", ".join(files),
        "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "monodepth2_use_stereo": str(use_stereo),
        "created_by": "mono_depth_ros.core.models.monodepth2.import_monodepth2",
    }
    if use_stereo:
        metadata["rig_baseline"] = repr(float(rig_baseline))
    return Checkpoint(
        model=config,
        input_width=width,
        input_height=height,
        state_dicts=states,
        training_mode=mode,
        stereo_baseline=baseline,
        metric_scale=scale,
        metadata=metadata,
    )


def _load(folder: Path, name: str) -> Mapping[str, Any]:
    path = folder / name
    try:
        contents = load_weights_only(path)
    except CheckpointError as error:
        raise Monodepth2ImportError(folder, f"{name}: {error.problem}") from None
    if not isinstance(contents, Mapping):
        raise Monodepth2ImportError(folder, f"{name} holds a {type(contents).__name__}, not a state dict")
    return contents


def _encoder_entries(folder: Path, encoder: Mapping[str, Any]) -> tuple[int, int, bool]:
    missing = [key for key in ENCODER_ENTRIES if key not in encoder]
    if missing:
        raise Monodepth2ImportError(
            folder, f"{ENCODER_FILE} lacks the entries {missing} that monodepth2's trainer saves with the encoder"
        )
    width, height, use_stereo = encoder["width"], encoder["height"], encoder["use_stereo"]
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or isinstance(value, bool) or not valid_input_size(value):
            raise Monodepth2ImportError(
                folder,
                f"{ENCODER_FILE} {name} {value!r} is not a multiple of {SIZE_MULTIPLE} of at least {MIN_INPUT_SIZE}, "
                "which the networks need",
            )
    if not isinstance(use_stereo, bool):
        raise Monodepth2ImportError(folder, f"{ENCODER_FILE} use_stereo must be True or False, got {use_stereo!r}")
    return width, height, use_stereo


def _encoder_state(folder: Path, name: str, contents: Mapping[str, Any]) -> dict[str, Any]:
    """encoder.* tensors as they are (our ResnetEncoder keeps torchvision's names), without the classifier."""
    entries = ENCODER_ENTRIES if name == ENCODER_FILE else ()
    state = {}
    foreign = []
    for key, value in contents.items():
        if key in entries or str(key).startswith(CLASSIFIER_PREFIX):
            continue
        if not str(key).startswith(ENCODER_PREFIX):
            foreign.append(str(key))
        state[str(key)] = value
    if foreign:
        raise Monodepth2ImportError(
            folder, f"{name} has keys outside the ResNet encoder: {some_keys(foreign)} (not a monodepth2 encoder)"
        )
    return state


def _decoder_state(folder: Path, contents: Mapping[str, Any]) -> dict[str, Any]:
    """decoder.{i}.conv.conv.* -> decoder.stages.{i // 2}.{reduce|fuse}.conv.conv.*; decoder.{10+s}.conv.* -> heads."""
    state = {}
    unexpected = []
    for key, value in contents.items():
        match = _DECODER_KEY.match(str(key))
        if match is None:
            unexpected.append(str(key))
            continue
        index, inner, parameter = int(match[1]), match[2], match[3]
        if index < DECODER_BLOCKS and inner == "conv.conv":
            part = "reduce" if index % 2 == 0 else "fuse"
            state[f"decoder.stages.{index // 2}.{part}.conv.conv.{parameter}"] = value
        elif DECODER_BLOCKS <= index < DECODER_BLOCKS + 4 and inner == "conv":
            state[f"decoder.heads.{index - DECODER_BLOCKS}.conv.{parameter}"] = value
        else:
            unexpected.append(str(key))
    if unexpected:
        raise Monodepth2ImportError(
            folder,
            f"{DEPTH_FILE} has unexpected keys {some_keys(unexpected)}; a monodepth2 depth decoder has "
            "decoder.0-9.conv.conv.weight/bias and decoder.10-13.conv.weight/bias",
        )
    return state


def _pose_decoder_state(folder: Path, contents: Mapping[str, Any]) -> dict[str, Any]:
    """net.0..3 -> decoder.squeeze/conv1/conv2/output; the output keeps the first transform's 6 channels."""
    state = {}
    unexpected = []
    for key, value in contents.items():
        parts = str(key).split(".")
        if len(parts) != 3 or parts[0] != "net" or parts[1] not in POSE_LAYERS or parts[2] not in ("weight", "bias"):
            unexpected.append(str(key))
            continue
        layer = POSE_LAYERS[parts[1]]
        if layer == "output" and isinstance(value, torch.Tensor):
            channels = value.shape[0] if value.dim() else 0
            if channels == 0 or channels % POSE_CHANNELS:
                raise Monodepth2ImportError(
                    folder,
                    f"{POSE_FILE} {key} has shape {tuple(value.shape)}: the pose output needs a multiple of "
                    f"{POSE_CHANNELS} channels (6 per predicted transform)",
                )
            value = value[:POSE_CHANNELS]
        state[f"decoder.{layer}.{parts[2]}"] = value
    if unexpected:
        raise Monodepth2ImportError(
            folder,
            f"{POSE_FILE} has unexpected keys {some_keys(unexpected)}; a monodepth2 pose decoder has "
            "net.0-3.weight/bias",
        )
    return state


def _resnet_depth(folder: Path, name: str, state: Mapping[str, Any]) -> int:
    """18, 34 or 50 from the number of blocks per layer and whether the blocks have a third convolution."""
    blocks: list[set[int]] = [set(), set(), set(), set()]
    bottleneck = False
    for key in state:
        match = _BLOCK_KEY.match(key)
        if match:
            blocks[int(match[1]) - 1].add(int(match[2]))
            bottleneck = bottleneck or ".conv3." in key
    counts = tuple(len(layer) for layer in blocks)
    depth = RESNET_DEPTHS.get((counts, bottleneck))
    if depth is None:
        kind = "bottleneck" if bottleneck else "basic"
        raise Monodepth2ImportError(
            folder,
            f"{name} is a ResNet with {counts} {kind} blocks per layer, which is not ResNet-18, -34 or -50 "
            "(the encoders this package has)",
        )
    return depth


def _check_against_networks(folder: Path, config: ModelConfig, states: dict[str, dict[str, Any]]) -> None:
    """Every key and shape must be what our networks have; the message names monodepth2's file for each network."""
    networks = Networks.build(config)
    for name, module in networks.modules().items():
        state = states[name]
        files = f"{ENCODER_FILE} + {DEPTH_FILE}" if name == "depth" else f"{POSE_ENCODER_FILE} + {POSE_FILE}"
        expected = module.state_dict()
        problem = state_dict_problem(expected, state, display=_monodepth2_key)
        if problem:
            layers = config.encoder_layers if name == "depth" else config.pose_encoder_layers
            raise Monodepth2ImportError(folder, f"{files} (a monodepth2 ResNet-{layers} {name} network): {problem}")
        for key, reference in expected.items():
            value = state[key]
            state[key] = value.detach().to(device="cpu", dtype=reference.dtype).clone()


def _monodepth2_key(key: str) -> str:
    """Our key -> the name monodepth2's file uses for it (for error messages)."""
    match = re.match(r"^decoder\.stages\.(\d)\.(reduce|fuse)\.conv\.conv\.(\w+)$", key)
    if match:
        return f"decoder.{2 * int(match[1]) + (match[2] == 'fuse')}.conv.conv.{match[3]}"
    match = re.match(r"^decoder\.heads\.(\d)\.conv\.(\w+)$", key)
    if match:
        return f"decoder.{DECODER_BLOCKS + int(match[1])}.conv.{match[2]}"
    for index, layer in POSE_LAYERS.items():
        if key.startswith(f"decoder.{layer}."):
            return f"net.{index}.{key.rsplit('.', 1)[1]}"
    return key
