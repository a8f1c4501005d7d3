"""`mono-depth-ros predict` end to end: image files and synthetic bags (raw and jpeg), outputs, options, errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mono_depth_ros.cli import main
from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import Checkpoint, MetricScale, ModelConfig, Networks, ScaleSource, save_checkpoint
from mono_depth_ros.data.bag import iter_messages
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive

FACTOR = 12.5


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 96x64 checkpoint with a transferred global scale ("global"), and the same without a scale ("relative")."""
    folder = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    networks = Networks.build(ModelConfig(pose=False))
    with torch.no_grad():
        for head in networks.depth.decoder.heads.values():
            head.conv.weight.mul_(20.0)  # visible variation of the depth across the image
    scaled = Checkpoint.from_networks(networks, 96, 64, metric_scale=MetricScale(ScaleSource.GLOBAL, FACTOR))
    return {
        "global": save_checkpoint(scaled, folder / "global.pt"),
        "relative": save_checkpoint(Checkpoint.from_networks(networks, 96, 64), folder / "relative.pt"),
    }


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(3)
    paths = []
    for name, (height, width) in (("first", (50, 120)), ("second", (64, 96))):
        bgr = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        bgr[10:30, 20:60] = (30, 200, 90)
        path = folder / f"{name}.png"
        cv2.imwrite(str(path), bgr)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def drives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drives")
    out = {}
    for kind in ("raw", "jpeg"):
        options = RecordingOptions(out=folder / kind, frames=3, width=96, height=64, seed=1, compressed=kind == "jpeg")
        record_drive(options)
        out[kind] = options.out
    return out


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["predict", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check_frame(out: Path, name: str, shape: tuple[int, int]) -> np.ndarray:
    """The frame's three files are consistent; returns the metric depth."""
    depth = np.load(out / f"{name}.npy")
    assert depth.dtype == np.float32
    assert depth.shape == shape
    millimetres = cv2.imread(str(out / f"{name}_mm.png"), cv2.IMREAD_UNCHANGED)
    assert millimetres.dtype == np.uint16
    assert millimetres.shape == shape
    valid = np.isfinite(depth) & (depth <= 65.535)
    np.testing.assert_allclose(millimetres[valid], depth[valid] * 1000.0, atol=1.0)
    assert (millimetres[~valid] == 0).all()
    preview = cv2.imread(str(out / f"{name}_preview.png"), cv2.IMREAD_UNCHANGED)
    assert preview.dtype == np.uint8
    assert preview.shape == (*shape, 3)
    assert preview.std() > 0  # not a flat image
    return depth


def test_image_files(
    checkpoints: dict[str, Path], images: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "depth"
    code, printed, err = _run(capsys, "--checkpoint", checkpoints["global"], *images, "--out", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}{suffix}" for stem in ("first", "second") for suffix in (".npy", "_mm.png", "_preview.png")
    )
    estimator = DepthEstimator(checkpoints["global"], device="cpu", warmup=False)
    for path in images:
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        depth = _check_frame(out, path.stem, rgb.shape[:2])
        expected = estimator.predict(rgb)
        np.testing.assert_array_equal(depth, expected.metric_depth)
        np.testing.assert_allclose(depth, expected.relative_depth * FACTOR, rtol=1e-6)
    assert printed.strip().splitlines()[-1] == (
        f"wrote 2 frame(s) of metric depth (scale 12.5, global) to {out}: NAME.npy (float32 m), NAME_mm.png "
        "(uint16 mm), NAME_preview.png"
    )


def test_scale_flip_and_depth_range_options(
    checkpoints: dict[str, Path], images: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(images[0])), cv2.COLOR_BGR2RGB)
    unbounded = DepthEstimator(checkpoints["relative"], device="cpu", flip_postprocess=True, warmup=False)
    limit = float(np.median(unbounded.predict(rgb, scale=30.0).metric_depth))
    out = tmp_path / "depth"
    arguments = ["--checkpoint", checkpoints["relative"], images[0], "--out", out, "--scale", "30", "--flip"]
    code, printed, err = _run(capsys, *arguments, "--max-depth", limit, "--device", "cpu", "--precision", "bf16")
    assert code == 0, err
    assert "mono-depth-ros predict: precision bf16 needs CUDA; running fp32 on cpu" in printed
    assert "metric depth (scale 30, given)" in printed
    estimator = DepthEstimator(checkpoints["relative"], device="cpu", flip_postprocess=True, max_depth=limit)
    depth = _check_frame(out, "first", rgb.shape[:2])
    np.testing.assert_array_equal(depth, estimator.predict(rgb, scale=30.0).metric_depth)
    assert 0.4 < np.isnan(depth).mean() < 0.6
    assert np.nanmax(depth) <= limit


def test_relative_depth_is_called_so(
    checkpoints: dict[str, Path], images: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed, _ = _run(capsys, "--checkpoint", checkpoints["relative"], images[1], "--out", tmp_path)
    assert code == 0
    assert "wrote 1 frame(s) of RELATIVE depth (the checkpoint carries no metric scale; pass --scale" in printed


@pytest.mark.parametrize("kind", ["raw", "jpeg"])
def test_bag_frames_are_named_by_stamp(
    checkpoints: dict[str, Path], drives: dict[str, Path], kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = SIM_TOPICS.left_image if kind == "raw" else SIM_TOPICS.compressed(SIM_TOPICS.left_image)
    out = tmp_path / "depth"
    code, printed, err = _run(
        capsys, "--checkpoint", checkpoints["global"], "--bag", drives[kind], "--image-topic", topic, "--out", out
    )
    assert code == 0, err
    stamps = [
        item.message.header.stamp.sec * 1_000_000_000 + item.message.header.stamp.nanosec
        for item in iter_messages(drives[kind], [topic])
    ]
    assert len(stamps) == 3
    names = sorted(p.name[: -len(".npy")] for p in out.glob("*.npy"))
    assert names == [f"{stamp:019d}" for stamp in stamps]
    for name in names:
        _check_frame(out, name, (64, 96))
    assert f"wrote 3 frame(s) of metric depth (scale 12.5, global) to {out}" in printed


def test_bag_max_frames(
    checkpoints: dict[str, Path], drives: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed, _ = _run(
        capsys, "--checkpoint", checkpoints["global"], "--bag", drives["raw"], "--max-frames", "2", "--out", tmp_path
    )
    assert code == 0
    assert len(list(tmp_path.glob("*.npy"))) == 2
    assert "wrote 2 frame(s)" in printed


def test_failures_print_one_line(
    checkpoints: dict[str, Path],
    images: list[Path],
    drives: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    duplicate = tmp_path / "other" / images[0].name
    duplicate.parent.mkdir()
    duplicate.write_bytes(images[0].read_bytes())
    out = tmp_path / "out"
    ckpt = checkpoints["global"]
    cases = [
        (["--checkpoint", tmp_path / "none.pt", images[0]], f"checkpoint {tmp_path / 'none.pt'}: does not exist"),
        (["--checkpoint", ckpt, not_an_image], f"cannot read image {not_an_image}: not an image format OpenCV"),
        (["--checkpoint", ckpt, tmp_path / "gone.png"], f"image {tmp_path / 'gone.png'} does not exist"),
        (["--checkpoint", ckpt], "give image files or --bag BAG"),
        (["--checkpoint", ckpt, images[0], "--bag", drives["raw"]], "give image files or --bag, not both"),
        (["--checkpoint", ckpt, images[0], "--max-frames", "2"], "--max-frames applies to --bag"),
        (["--checkpoint", ckpt, images[0], duplicate], f"images {images[0]} and {duplicate} would both be written"),
        (["--checkpoint", ckpt, images[0], "--scale", "2", "--real-baseline", "0.5"], "give --scale or --real-"),
        (["--checkpoint", ckpt, images[0], "--real-baseline", "0.5"], "real_baseline 0.5 applies to stereo-trained"),
        (["--checkpoint", ckpt, images[0], "--device", "cuda:x"], "device must be auto, cpu, cuda or cuda:N"),
        (["--checkpoint", ckpt, "--bag", tmp_path / "nobag"], f"bag {tmp_path / 'nobag'} does not exist"),
        (
            ["--checkpoint", ckpt, "--bag", drives["raw"], "--image-topic", "/camera/image"],
            f"bag {drives['raw']} has no topic /camera/image; it has: ",
        ),
        (
            ["--checkpoint", ckpt, "--bag", drives["raw"], "--image-topic", SIM_TOPICS.odometry],
            f"topic {SIM_TOPICS.odometry} does not carry images (nav_msgs__msg__Odometry)",
        ),
    ]
    for arguments, message in cases:
        code, _, err = _run(capsys, *arguments, "--out", out)
        assert code == 1, arguments
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("mono-depth-ros predict: error: "), lines[0]
        assert message in lines[0], (message, lines[0])
    (tmp_path / "file").write_text("")
    code, _, err = _run(capsys, "--checkpoint", ckpt, images[0], "--out", tmp_path / "file")
    assert code == 1
    assert f"--out {tmp_path / 'file'} exists and is not a folder" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scale", "0"], "expected a positive finite number, got 0"),
        (["--max-frames", "0"], "expected a positive integer, got 0"),
        (["--precision", "fp64"], "invalid choice: 'fp64'"),
    ],
)
def test_bad_values_are_usage_errors(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--checkpoint", "x.pt", "--out", str(tmp_path), *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
