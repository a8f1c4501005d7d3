"""Importing monodepth2 model folders: exact outputs, published key names, modes and metric scale, every error.

The folders are written here FROM networks of ours with an inverse key mapping written independently of the
importer, checked against monodepth2's published layout (networks/depth_decoder.py, pose_decoder.py,
resnet_encoder.py and trainer.py's save_model).
"""

from __future__ import annotations

import fractions
import os
from pathlib import Path

import pytest
import torch
from torch.nn import functional

from mono_depth_ros.core.models import (
    Checkpoint,
    CheckpointError,
    MetricScale,
    ModelConfig,
    Networks,
    ScaleSource,
    TrainingMode,
    load_checkpoint,
    save_checkpoint,
)
from mono_depth_ros.core.models.monodepth2 import (
    KITTI_STEREO_BASELINE,
    MONODEPTH2_STEREO_BASELINE,
    Monodepth2ImportError,
    import_monodepth2,
)

WIDTH, HEIGHT = 128, 64

# monodepth2's DepthDecoder: an OrderedDict of ("upconv", i, 0), ("upconv", i, 1) for i = 4..0, then ("dispconv", s)
# for s = 0..3, turned into `self.decoder = nn.ModuleList(...)`: ConvBlock (Conv3x3 `conv` holding Conv2d `conv`)
# and Conv3x3 (Conv2d `conv`).
PUBLISHED_DEPTH_KEYS = [
    *(f"decoder.{i}.conv.conv.{p}" for i in range(10) for p in ("weight", "bias")),
    *(f"decoder.{i}.conv.{p}" for i in range(10, 14) for p in ("weight", "bias")),
]
PUBLISHED_POSE_KEYS = [f"net.{i}.{p}" for i in range(4) for p in ("weight", "bias")]
NUM_CH_DEC = (16, 32, 64, 128, 256)


def num_ch_enc(layers: int) -> tuple[int, ...]:
    return (64, 64, 128, 256, 512) if layers <= 34 else (64, 256, 512, 1024, 2048)


def published_depth_shapes(layers: int) -> dict[str, tuple[int, ...]]:
    """Weight shapes of depth.pth as monodepth2's DepthDecoder.__init__ defines them."""
    enc, shapes, index = num_ch_enc(layers), {}, 0
    for i in range(4, -1, -1):
        in_0 = enc[-1] if i == 4 else NUM_CH_DEC[i + 1]
        shapes[f"decoder.{index}.conv.conv.weight"] = (NUM_CH_DEC[i], in_0, 3, 3)
        in_1 = NUM_CH_DEC[i] + (enc[i - 1] if i > 0 else 0)
        shapes[f"decoder.{index + 1}.conv.conv.weight"] = (NUM_CH_DEC[i], in_1, 3, 3)
        index += 2
    for s in range(4):
        shapes[f"decoder.{10 + s}.conv.weight"] = (1, NUM_CH_DEC[s], 3, 3)
    return shapes


# ---- the inverse mapping (ours -> monodepth2), written for the tests ----

DECODER_TO_MONODEPTH2 = {
    **{f"decoder.stages.{k}.reduce.conv.conv": f"decoder.{2 * k}.conv.conv" for k in range(5)},
    **{f"decoder.stages.{k}.fuse.conv.conv": f"decoder.{2 * k + 1}.conv.conv" for k in range(5)},
    **{f"decoder.heads.{s}.conv": f"decoder.{10 + s}.conv" for s in range(4)},
}
POSE_TO_MONODEPTH2 = {
    "decoder.squeeze": "net.0",
    "decoder.conv1": "net.1",
    "decoder.conv2": "net.2",
    "decoder.output": "net.3",
}


def to_monodepth2(networks: Networks, use_stereo: bool, generator: torch.Generator) -> dict[str, dict]:
    """The four files' contents for `networks`: monodepth2's names, its fc classifier and encoder entries, and a
    12-channel pose output (two transforms) whose first 6 channels are ours."""
    depth = networks.depth.state_dict()
    expansion = 4 if networks.config.encoder_layers == 50 else 1
    encoder = {key: value.clone() for key, value in depth.items() if key.startswith("encoder.")}
    encoder["encoder.fc.weight"] = torch.randn(1000, 512 * expansion, generator=generator)
    encoder["encoder.fc.bias"] = torch.randn(1000, generator=generator)
    encoder.update(height=HEIGHT, width=WIDTH, use_stereo=use_stereo)
    decoder = {}
    for key, value in depth.items():
        if key.startswith("decoder."):
            module, parameter = key.rsplit(".", 1)
            decoder[f"{DECODER_TO_MONODEPTH2[module]}.{parameter}"] = value.clone()
    files = {"encoder.pth": encoder, "depth.pth": decoder}
    if networks.pose is not None:
        pose = networks.pose.state_dict()
        pose_expansion = 4 if networks.config.pose_encoder_layers == 50 else 1
        pose_encoder = {key: value.clone() for key, value in pose.items() if key.startswith("encoder.")}
        pose_encoder["encoder.fc.weight"] = torch.randn(1000, 512 * pose_expansion, generator=generator)
        pose_encoder["encoder.fc.bias"] = torch.randn(1000, generator=generator)
        pose_decoder = {}
        for key, value in pose.items():
            if key.startswith("decoder."):
                module, parameter = key.rsplit(".", 1)
                if module == "decoder.output":
                    second = torch.randn(value.shape, generator=generator)
                    value = torch.cat((value, second), dim=0)
                pose_decoder[f"{POSE_TO_MONODEPTH2[module]}.{parameter}"] = value.clone()
        files.update({"pose_encoder.pth": pose_encoder, "pose.pth": pose_decoder})
    return files


def write_folder(folder: Path, files: dict[str, dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, contents in files.items():
        torch.save(contents, folder / name)
    return folder


def make_networks(layers: int, pose_layers: int | None, seed: int = 0) -> Networks:
    """Random networks with non-trivial batch-norm statistics (so running mean/var are really carried over)."""
    torch.manual_seed(seed)
    config = ModelConfig(encoder_layers=layers, pose_encoder_layers=pose_layers or 18, pose=pose_layers is not None)
    networks = Networks.build(config)
    for module in networks.modules().values():
        for layer in module.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.uniform_(-0.2, 0.2)
                layer.running_var.uniform_(0.5, 1.5)
                layer.weight.data.uniform_(0.5, 1.5)
    return networks.eval()


@pytest.fixture(scope="module")
def resnet18() -> Networks:
    return make_networks(18, 18)


@pytest.fixture(scope="module")
def files18(resnet18: Networks) -> dict[str, dict]:
    return to_monodepth2(resnet18, False, torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def template18(tmp_path_factory: pytest.TempPathFactory, files18: dict[str, dict]) -> Path:
    """The ResNet-18 mono folder, written once; tests link its files rather than writing 100 MB each."""
    return write_folder(tmp_path_factory.mktemp("monodepth2") / "mono_128x64", files18)


def linked_folder(folder: Path, template: Path, replace: dict[str, dict] | None = None) -> Path:
    """A folder with hard links to the template's files, except those in `replace` (written)."""
    folder.mkdir()
    replace = replace or {}
    for source in template.iterdir():
        if source.name not in replace:
            os.link(source, folder / source.name)
    for name, contents in replace.items():
        torch.save(contents, folder / name)
    return folder


@pytest.fixture
def folder18(tmp_path: Path, template18: Path) -> Path:
    return linked_folder(tmp_path / "mono_128x64", template18)


def images(batch: int = 2, seed: int = 3) -> torch.Tensor:
    return torch.rand(batch, 3, HEIGHT, WIDTH, generator=torch.Generator().manual_seed(seed))


# ---- monodepth2's forward, written from its published code, on the files' own tensors ----


def monodepth2_decoder(files: dict[str, dict], features: list[torch.Tensor]) -> dict[int, torch.Tensor]:
    """DepthDecoder.forward: ConvBlock = reflection pad + conv 3x3 + ELU; upsample x2 nearest; skip concat."""
    weights = files["depth.pth"]

    def conv3x3(x: torch.Tensor, name: str) -> torch.Tensor:
        x = functional.pad(x, (1, 1, 1, 1), mode="reflect")
        return functional.conv2d(x, weights[f"{name}.weight"], weights[f"{name}.bias"])

    outputs = {}
    x = features[-1]
    for index, i in enumerate(range(4, -1, -1)):
        x = functional.elu(conv3x3(x, f"decoder.{2 * index}.conv.conv"))
        x = [functional.interpolate(x, scale_factor=2, mode="nearest")]
        if i > 0:
            x.append(features[i - 1])
        x = functional.elu(conv3x3(torch.cat(x, 1), f"decoder.{2 * index + 1}.conv.conv"))
        if i < 4:  # scales 0..3 have a disparity head
            outputs[i] = torch.sigmoid(conv3x3(x, f"decoder.{10 + i}.conv"))
    return outputs


def monodepth2_pose(files: dict[str, dict], feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """PoseDecoder.forward with num_input_features=1, num_frames_to_predict_for=2; the trainer uses transform 0."""
    w = files["pose.pth"]
    out = functional.relu(functional.conv2d(feature, w["net.0.weight"], w["net.0.bias"]))
    out = functional.relu(functional.conv2d(out, w["net.1.weight"], w["net.1.bias"], padding=1))
    out = functional.relu(functional.conv2d(out, w["net.2.weight"], w["net.2.bias"], padding=1))
    out = functional.conv2d(out, w["net.3.weight"], w["net.3.bias"])
    out = 0.01 * out.mean(3).mean(2).view(-1, 2, 1, 6)
    return out[:, 0, 0, :3], out[:, 0, 0, 3:]


# ---- tests ----


@pytest.mark.parametrize(("layers", "pose_layers"), [(18, 18), (50, 50)])
def test_converted_checkpoint_gives_exactly_the_original_disparity_and_pose(
    tmp_path: Path, layers: int, pose_layers: int
) -> None:
    original = make_networks(layers, pose_layers)
    files = to_monodepth2(original, False, torch.Generator().manual_seed(1))
    folder = write_folder(tmp_path / "model", files)

    checkpoint = import_monodepth2(folder)
    if layers == 18:  # through the file (the 50-layer files are large: build from the imported checkpoint directly)
        checkpoint = load_checkpoint(save_checkpoint(checkpoint, tmp_path / "converted.pt"))
    converted = checkpoint.build_networks()

    assert converted.config.encoder_layers == layers
    assert converted.config.pose_encoder_layers == pose_layers
    image, other = images(seed=3), images(seed=4)
    with torch.no_grad():
        expected = original.depth(image)
        actual = converted.depth(image)
        for scale in range(4):
            assert torch.equal(actual.disparities[scale], expected.disparities[scale])
        expected_pose = original.pose(image, other)
        actual_pose = converted.pose(image, other)
    assert torch.equal(actual_pose.axis_angle, expected_pose.axis_angle)
    assert torch.equal(actual_pose.translation, expected_pose.translation)


def test_converted_networks_compute_what_monodepth2s_published_forward_computes(
    folder18: Path, resnet18: Networks
) -> None:
    files = {name: torch.load(folder18 / name, weights_only=True) for name in ("depth.pth", "pose.pth")}
    converted = import_monodepth2(folder18).build_networks()
    image, other = images(seed=5), images(seed=6)
    with torch.no_grad():
        reference = monodepth2_decoder(files, resnet18.depth.encoder(image))
        actual = converted.depth(image)
        for scale in range(4):
            torch.testing.assert_close(actual.disparities[scale], reference[scale], rtol=0, atol=1e-6)
        pose_feature = resnet18.pose.encoder(torch.cat((image, other), 1))[-1]
        axis_angle, translation = monodepth2_pose(files, pose_feature)
        pose = converted.pose(image, other)
    torch.testing.assert_close(pose.axis_angle, axis_angle, rtol=0, atol=1e-7)
    torch.testing.assert_close(pose.translation, translation, rtol=0, atol=1e-7)


@pytest.mark.parametrize("layers", [18, 50])
def test_the_test_folders_have_monodepth2s_published_key_names_and_shapes(layers: int) -> None:
    networks = make_networks(layers, layers)
    files = to_monodepth2(networks, True, torch.Generator().manual_seed(1))
    assert sorted(files["depth.pth"]) == sorted(PUBLISHED_DEPTH_KEYS)
    for key, shape in published_depth_shapes(layers).items():
        assert tuple(files["depth.pth"][key].shape) == shape, key
    assert sorted(files["pose.pth"]) == sorted(PUBLISHED_POSE_KEYS)
    channels = num_ch_enc(layers)[-1]
    assert tuple(files["pose.pth"]["net.0.weight"].shape) == (256, channels, 1, 1)
    assert tuple(files["pose.pth"]["net.1.weight"].shape) == (256, 256, 3, 3)
    assert tuple(files["pose.pth"]["net.3.weight"].shape) == (12, 256, 1, 1)
    encoder = files["encoder.pth"]
    assert {"height", "width", "use_stereo", "encoder.fc.weight", "encoder.fc.bias", "encoder.conv1.weight"} <= set(
        encoder
    )
    assert tuple(encoder["encoder.conv1.weight"].shape) == (64, 3, 7, 7)
    assert tuple(files["pose_encoder.pth"]["encoder.conv1.weight"].shape) == (64, 6, 7, 7)
    blocks = {int(key.split(".")[2]) for key in encoder if key.startswith("encoder.layer3.")}
    assert len(blocks) == (2 if layers == 18 else 6)
    assert any(".conv3." in key for key in encoder) == (layers == 50)


def test_mono_model_imports_as_mono_up_to_scale(folder18: Path) -> None:
    checkpoint = import_monodepth2(folder18)
    assert checkpoint.training_mode is TrainingMode.MONO
    assert checkpoint.stereo_baseline is None
    assert checkpoint.metric_scale == MetricScale(ScaleSource.NONE, 1.0)
    assert (checkpoint.input_width, checkpoint.input_height) == (WIDTH, HEIGHT)
    assert checkpoint.model.pose
    assert set(checkpoint.state_dicts) == {"depth", "pose"}
    assert checkpoint.metadata["source"] == "monodepth2"
    assert checkpoint.metadata["source_folder"] == str(folder18.resolve())
    assert checkpoint.metadata["imported_files"] == "encoder.pth, depth.pth, pose_encoder.pth, pose.pth"
    assert checkpoint.metadata["imported_at"].startswith("20")
    assert not any(key.startswith("encoder.fc.") for key in checkpoint.state_dicts["depth"])
    assert tuple(checkpoint.state_dicts["pose"]["decoder.output.weight"].shape) == (6, 256, 1, 1)


@pytest.mark.parametrize(
    ("pose", "rig_baseline", "mode", "factor"),
    [
        (True, KITTI_STEREO_BASELINE, TrainingMode.MONO_STEREO, 5.4),
        (False, KITTI_STEREO_BASELINE, TrainingMode.STEREO, 5.4),
        (True, 0.12, TrainingMode.MONO_STEREO, 1.2),
    ],
)
def test_stereo_models_are_metric_for_the_rig_baseline(
    tmp_path: Path,
    files18: dict[str, dict],
    template18: Path,
    pose: bool,
    rig_baseline: float,
    mode: TrainingMode,
    factor: float,
) -> None:
    folder = linked_folder(
        tmp_path / "stereo", template18, {"encoder.pth": {**files18["encoder.pth"], "use_stereo": True}}
    )
    if not pose:
        (folder / "pose_encoder.pth").unlink()
        (folder / "pose.pth").unlink()
    checkpoint = import_monodepth2(folder, rig_baseline=rig_baseline)
    assert checkpoint.training_mode is mode
    assert checkpoint.stereo_baseline == MONODEPTH2_STEREO_BASELINE == 0.1
    assert checkpoint.metric_scale.source is ScaleSource.STEREO
    assert checkpoint.metric_scale.factor == pytest.approx(factor)
    assert checkpoint.model.pose is pose
    assert set(checkpoint.state_dicts) == ({"depth", "pose"} if pose else {"depth"})
    # It survives a save/load round trip (the file format requires a baseline with a stereo scale source).
    loaded = load_checkpoint(save_checkpoint(checkpoint, tmp_path / "stereo.pt"))
    assert loaded.metric_scale == checkpoint.metric_scale
    assert loaded.training_mode is mode


def test_depth_range_is_taken_from_the_arguments(folder18: Path) -> None:
    checkpoint = import_monodepth2(folder18, min_depth=0.5, max_depth=50.0)
    assert (checkpoint.model.min_depth, checkpoint.model.max_depth) == (0.5, 50.0)


def test_the_error_is_a_checkpoint_error_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as error:
        import_monodepth2(tmp_path / "nowhere")
    assert isinstance(error.value, Monodepth2ImportError)
    assert str(error.value) == f"monodepth2 model folder {tmp_path / 'nowhere'}: does not exist"
    assert error.value.path == tmp_path / "nowhere"


def _drop(key: str):
    return lambda contents: contents.pop(key)


def _set(key: str, value):
    return lambda contents: contents.__setitem__(key, value)


def _drop_prefix(prefix: str):
    def change(contents: dict) -> None:
        for key in [k for k in contents if k.startswith(prefix)]:
            del contents[key]

    return change


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("encoder.pth", _drop("height"), "encoder.pth lacks the entries ['height']"),
        ("encoder.pth", _set("width", 100), "encoder.pth width 100 is not a multiple of 32 of at least 64"),
        ("encoder.pth", _set("height", 32), "encoder.pth height 32 is not a multiple of 32 of at least 64"),
        ("encoder.pth", _set("use_stereo", "yes"), "use_stereo must be True or False, got 'yes'"),
        ("encoder.pth", _set("scheduler", 3), "encoder.pth has keys outside the ResNet encoder: [scheduler] (1)"),
        (
            "encoder.pth",
            _set("encoder.layer1.0.extra.weight", torch.zeros(1)),
            "encoder.pth + depth.pth (a monodepth2 ResNet-18 depth network): unexpected keys "
            "[encoder.layer1.0.extra.weight] (1)",
        ),
        (
            "encoder.pth",
            _drop("encoder.bn1.running_var"),
            "encoder.pth + depth.pth (a monodepth2 ResNet-18 depth network): missing keys "
            "[encoder.bn1.running_var] (1)",
        ),
        (
            "encoder.pth",
            _drop_prefix("encoder.layer4.1."),
            "encoder.pth is a ResNet with (2, 2, 2, 1) basic blocks per layer, which is not ResNet-18, -34 or -50",
        ),
        (
            "encoder.pth",
            _set("encoder.conv1.weight", torch.zeros(64, 4, 7, 7)),
            "(a monodepth2 ResNet-18 depth network): encoder.conv1.weight has shape (64, 4, 7, 7), "
            "expected (64, 3, 7, 7)",
        ),
        ("depth.pth", _drop("decoder.3.conv.conv.weight"), "missing keys [decoder.3.conv.conv.weight] (1)"),
        (
            "depth.pth",
            _set("decoder.14.conv.weight", torch.zeros(1)),
            "depth.pth has unexpected keys [decoder.14.conv.weight] (1)",
        ),
        (
            "depth.pth",
            _set("decoder.0.conv.conv.weight", torch.zeros(256, 256, 3, 3)),
            "decoder.0.conv.conv.weight has shape (256, 256, 3, 3), expected (256, 512, 3, 3)",
        ),
        ("depth.pth", _set("decoder.10.conv.bias", 1.0), "decoder.10.conv.bias is a float, not a tensor"),
        ("pose.pth", _set("net.4.weight", torch.zeros(1)), "pose.pth has unexpected keys [net.4.weight] (1)"),
        (
            "pose.pth",
            _set("net.3.weight", torch.zeros(7, 256, 1, 1)),
            "pose.pth net.3.weight has shape (7, 256, 1, 1): the pose output needs a multiple of 6 channels",
        ),
        (
            "pose.pth",
            _drop("net.1.bias"),
            "pose_encoder.pth + pose.pth (a monodepth2 ResNet-18 pose network): missing keys [net.1.bias] (1)",
        ),
        (
            "pose_encoder.pth",
            _set("encoder.conv1.weight", torch.zeros(64, 3, 7, 7)),
            "(a monodepth2 ResNet-18 pose network): encoder.conv1.weight has shape (64, 3, 7, 7), "
            "expected (64, 6, 7, 7)",
        ),
    ],
)
def test_bad_contents_are_refused_naming_the_file_and_key(
    tmp_path: Path, files18: dict[str, dict], template18: Path, file: str, change, message: str
) -> None:
    contents = dict(files18[file])
    change(contents)
    folder = linked_folder(tmp_path / "bad", template18, {file: contents})
    with pytest.raises(Monodepth2ImportError) as error:
        import_monodepth2(folder)
    assert str(error.value).startswith(f"monodepth2 model folder {folder}: ")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        (["encoder.pth"], "encoder.pth missing (a monodepth2 model needs both)"),
        (["depth.pth"], "depth.pth missing (a monodepth2 model needs both)"),
        (["encoder.pth", "depth.pth"], "encoder.pth and depth.pth missing (a monodepth2 model needs both)"),
        (["pose.pth"], "pose_encoder.pth is present without pose.pth: the pose network needs both"),
        (["pose_encoder.pth"], "pose.pth is present without pose_encoder.pth: the pose network needs both"),
    ],
)
def test_missing_files_are_named(folder18: Path, remove: list[str], message: str) -> None:
    for name in remove:
        (folder18 / name).unlink()
    with pytest.raises(Monodepth2ImportError) as error:
        import_monodepth2(folder18)
    assert str(error.value) == f"monodepth2 model folder {folder18}: {message}"


def test_a_file_instead_of_a_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "encoder.pth"
    path.write_bytes(b"x")
    with pytest.raises(Monodepth2ImportError, match="is not a folder"):
        import_monodepth2(path)


def _rewrite(path: Path) -> Path:
    """Unlink first: the folder's files are hard links to the shared template."""
    path.unlink()
    return path


def test_unreadable_and_unsafe_files_are_refused(folder18: Path) -> None:
    _rewrite(folder18 / "depth.pth").write_bytes(b"not a torch file")
    with pytest.raises(Monodepth2ImportError, match=r"depth\.pth: not a readable torch file \(Unsupported operand"):
        import_monodepth2(folder18)

    torch.save({"height": fractions.Fraction(1, 2)}, _rewrite(folder18 / "encoder.pth"))
    with pytest.raises(Monodepth2ImportError) as error:
        import_monodepth2(folder18)
    assert "encoder.pth: refused: loading it would run code (fractions.Fraction)" in str(error.value)
    assert "\x1b" not in str(error.value)

    torch.save([torch.zeros(1)], _rewrite(folder18 / "encoder.pth"))
    with pytest.raises(Monodepth2ImportError, match=r"encoder\.pth holds a list, not a state dict"):
        import_monodepth2(folder18)

    _rewrite(folder18 / "encoder.pth").write_bytes(b"")
    with pytest.raises(Monodepth2ImportError, match=r"encoder\.pth: not a readable torch file"):
        import_monodepth2(folder18)


@pytest.mark.parametrize("baseline", [0, -0.5, float("nan"), "0.54", True])
def test_the_rig_baseline_must_be_positive(folder18: Path, baseline: object) -> None:
    with pytest.raises(Monodepth2ImportError, match="rig baseline must be a positive number of metres"):
        import_monodepth2(folder18, rig_baseline=baseline)  # type: ignore[arg-type]


def test_fp16_files_are_imported_as_float32(tmp_path: Path, files18: dict[str, dict], template18: Path) -> None:
    half = {key: value.half() for key, value in files18["depth.pth"].items()}
    checkpoint = import_monodepth2(linked_folder(tmp_path / "half", template18, {"depth.pth": half}))
    assert all(
        value.dtype == torch.float32 for key, value in checkpoint.state_dicts["depth"].items() if "decoder" in key
    )
    assert isinstance(checkpoint, Checkpoint)
