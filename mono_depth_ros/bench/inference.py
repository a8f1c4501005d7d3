"""What the DepthEstimator costs beyond the network it runs: end-to-end latency against the bare forward pass.

For each network size, a ResNet-18 depth network (random weights: the time does not depend on them) runs in two
ways, interleaved call by call (A B A B ...) so that the machine's noise hits both alike:
  end-to-end  `DepthEstimator.predict` on a 1242x375 uint8 RGB image: transfer, resizing, normalisation, network,
              depth at the input resolution (disparity, relative and metric), the coloured point cloud (x, y, z,
              rgb at every pixel) and the one copy to the host;
  bare        the same network module (same weights, memory format, inference mode, precision) on an input tensor
              already prepared at the network size: the encoder + decoder forward alone.
Target (at 640x192): the end-to-end median at most 1.15x the bare median. Pre-processing is also timed on its own.
On CUDA every size is also run with fp16 and bf16 autocast; on the CPU those would fall back to fp32, so they are
not listed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.bench.settings import (
    DEFAULT_INFERENCE_REPEATS,
    INFERENCE_IMAGE_SIZE,
    INFERENCE_NETWORK_SIZES,
    REFERENCE_SIZE,
    TARGET_INFERENCE_RATIO,
)
from mono_depth_ros.bench.timing import Timing, measure
from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.inference import (
    DepthEstimator,
    autocast,
    image_to_device,
    resolve_device,
    to_network_input,
)
from mono_depth_ros.core.models import Checkpoint, ModelConfig, Networks

__all__ = ["InferenceResult", "InferenceRow", "kitti_like_intrinsics", "run_inference"]

#: Untimed pairs before the timed ones (allocator growth, first-call dispatch, cuDNN autotuning).
WARM_UP_PAIRS = 3


@dataclass(frozen=True)
class InferenceRow:
    """One network size and precision: end-to-end and bare timings of interleaved calls."""

    width: int
    height: int
    precision: str
    end_to_end: Timing
    bare: Timing
    preprocess: Timing

    @property
    def ratio(self) -> float:
        """End-to-end median over bare median."""
        return self.end_to_end.median_ms / self.bare.median_ms if self.bare.median_ms > 0 else float("inf")

    @property
    def judged(self) -> bool:
        return (self.width, self.height) == REFERENCE_SIZE and self.precision == "fp32"


@dataclass(frozen=True)
class InferenceResult:
    """The inference benchmark: one row per network size (and precision on CUDA)."""

    image_width: int
    image_height: int
    device: str
    points_stride: int
    rows: tuple[InferenceRow, ...]

    def missed_targets(self) -> list[str]:
        return [
            f"inference end-to-end <= {TARGET_INFERENCE_RATIO:g}x the bare forward at {row.width}x{row.height} "
            f"(got {row.ratio:.2f}x)"
            for row in self.rows
            if row.judged and row.ratio > TARGET_INFERENCE_RATIO
        ]

    def format(self) -> str:
        repeats = self.rows[0].end_to_end.repeats if self.rows else 0
        stride = "every pixel" if self.points_stride == 1 else f"every {self.points_stride}th pixel"
        lines = [
            f"inference (DepthEstimator, ResNet-18, {self.device}), {self.image_width}x{self.image_height} uint8 RGB "
            f"-> depth at input resolution + point cloud (x, y, z, rgb; {stride}); {repeats} interleaved pairs per "
            f"row after {WARM_UP_PAIRS} warm-up",
            f"{'network':9s} {'precision':9s} {'end-to-end ms':>13s} {'p90':>7s} {'frames/s':>8s} "
            f"{'bare ms':>8s} {'p90':>7s} {'ratio':>6s} {'pre ms':>7s}   target",
        ]
        for row in self.rows:
            verdict = ""
            if row.judged:
                ok = row.ratio <= TARGET_INFERENCE_RATIO
                verdict = f"<= {TARGET_INFERENCE_RATIO:g}x {'ok' if ok else 'MISSED'}"
            size = f"{row.width}x{row.height}"
            lines.append(
                f"{size:9s} {row.precision:9s} {row.end_to_end.median_ms:13.1f} {row.end_to_end.p90_ms:7.1f} "
                f"{row.end_to_end.per_second:8.1f} {row.bare.median_ms:8.1f} {row.bare.p90_ms:7.1f} "
                f"{row.ratio:6.2f} {row.preprocess.median_ms:7.2f}   {verdict}".rstrip()
            )
        lines.append(
            "ratio = end-to-end median / bare encoder+decoder forward median (same module, input prepared at the "
            "network size); pre = uint8 image -> network input alone"
        )
        return "\n".join(lines)


def kitti_like_intrinsics(width: int, height: int) -> PinholeIntrinsics:
    """A KITTI-like camera (fx = fy = 721.5, principal point near the centre at 1242x375), scaled with the width."""
    focal = 721.5377 * width / 1242.0
    return PinholeIntrinsics(focal, focal, (width - 1) / 2.0, (height - 1) / 2.0, width, height)


def _image(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _precisions(device: torch.device, precisions: Sequence[str] | None) -> tuple[str, ...]:
    if precisions is not None:
        return tuple(precisions)
    return ("fp32", "fp16", "bf16") if device.type == "cuda" else ("fp32",)


def _interleaved(
    first: Callable[[], object], second: Callable[[], object], repeats: int, warmup: int
) -> tuple[Timing, Timing]:
    """Timings of `first` and `second` called alternately (warm-up pairs untimed)."""
    for _ in range(warmup):
        first()
        second()
    samples: tuple[list[int], list[int]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter_ns()
            fn()
            out.append(time.perf_counter_ns() - start)
    return Timing.from_samples_ns(samples[0]), Timing.from_samples_ns(samples[1])


def _row(
    size: tuple[int, int],
    precision: str,
    image: np.ndarray,
    intrinsics: PinholeIntrinsics,
    device: torch.device,
    repeats: int,
    stride: int,
) -> InferenceRow:
    width, height = size
    checkpoint = Checkpoint.from_networks(Networks.build(ModelConfig(pose=False)), width, height)
    estimator = DepthEstimator(checkpoint, device=device, precision=precision)
    network = estimator.network
    with torch.inference_mode():
        prepared = to_network_input(
            image_to_device(image, "rgb8", device), "rgb8", (width, height), channels_last=estimator.channels_last
        )
    synchronise = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def end_to_end() -> None:
        estimator.predict(image, intrinsics=intrinsics, points=True, points_stride=stride, points_rgb=True)

    def bare() -> None:
        with torch.inference_mode(), autocast(estimator.effective_precision, device):
            network(prepared)
        synchronise()

    def preprocess(_: int) -> None:
        with torch.inference_mode():
            to_network_input(image_to_device(image, "rgb8", device), "rgb8", (width, height))
        synchronise()

    e2e, bare_timing = _interleaved(end_to_end, bare, repeats, WARM_UP_PAIRS)
    pre = measure(preprocess, repeats=max(repeats, 10), warmup=2)
    return InferenceRow(width, height, estimator.effective_precision, e2e, bare_timing, pre)


def run_inference(
    repeats: int = DEFAULT_INFERENCE_REPEATS,
    *,
    sizes: Sequence[tuple[int, int]] | None = None,
    image_size: tuple[int, int] | None = None,
    device: str = "auto",
    precisions: Sequence[str] | None = None,
    points_stride: int = 1,
    progress: Callable[[str], None] | None = None,
) -> InferenceResult:
    """Time `repeats` interleaved (end-to-end, bare) pairs at each network size in `sizes` and each precision (fp32;
    also fp16 and bf16 on CUDA unless `precisions` says otherwise); `progress` is called with each row's name.

    `sizes` (network (width, height) pairs) and `image_size` default to the module's INFERENCE_NETWORK_SIZES and
    INFERENCE_IMAGE_SIZE, read at call time."""
    sizes = INFERENCE_NETWORK_SIZES if sizes is None else tuple(sizes)
    image_size = INFERENCE_IMAGE_SIZE if image_size is None else image_size
    resolved = resolve_device(device)
    image = _image(*image_size)
    intrinsics = kitti_like_intrinsics(*image_size)
    rows = []
    for precision in _precisions(resolved, precisions):
        for size in sizes:
            rows.append(_row(size, precision, image, intrinsics, resolved, repeats, points_stride))
            if progress is not None:
                progress(f"inference {size[0]}x{size[1]} {precision}")
    return InferenceResult(image_size[0], image_size[1], str(resolved), points_stride, tuple(rows))
