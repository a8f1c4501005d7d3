"""Sizes, counts and targets shared by the benchmarks and the command's help; free of heavy imports, so that
building the `mono-depth-ros` parser stays fast."""

from __future__ import annotations

__all__ = [
    "DEFAULT_FRAMES",
    "DEFAULT_INFERENCE_REPEATS",
    "DEFAULT_OVERLOAD_S",
    "DEFAULT_REPEATS",
    "INFERENCE_IMAGE_SIZE",
    "INFERENCE_NETWORK_SIZES",
    "MAX_LOOP_REPEATS",
    "REFERENCE_SIZE",
    "TARGET_CLOUD_MS",
    "TARGET_IMAGE_MS",
    "TARGET_INFERENCE_RATIO",
    "TARGET_MONO_FPS",
    "TARGET_SPEEDUP",
    "TRAINING_SIZES",
    "WARM_UP_FRAMES",
]

#: (width, height) every target is set for (KITTI-like); other sizes are timed but not judged.
REFERENCE_SIZE = (640, 192)

#: Renderer: timed frames per mode, after WARM_UP_FRAMES untimed ones.
DEFAULT_FRAMES = 50
WARM_UP_FRAMES = 3
#: Mono frames per second the renderer must reach at REFERENCE_SIZE.
TARGET_MONO_FPS = 20.0

#: Conversions: timed repeats of each case; the per-point Python loop (~0.2 s a call at 640x192) at most
#: MAX_LOOP_REPEATS times, which already gives a stable median.
DEFAULT_REPEATS = 300
MAX_LOOP_REPEATS = 5
#: Median per message at REFERENCE_SIZE: Image -> numpy and depth -> 32FC1 Image; the vectorised PointCloud2
#: (back-projection included); and how many times faster than the per-point loop that cloud must be.
TARGET_IMAGE_MS = 1.0
TARGET_CLOUD_MS = 3.0
TARGET_SPEEDUP = 10.0

#: Inference: a KITTI-sized uint8 image goes through the end-to-end DepthEstimator (pre-processing, network, depth at
#: the input resolution, point cloud) at each network size (width, height); the target is judged at REFERENCE_SIZE.
INFERENCE_IMAGE_SIZE = (1242, 375)
INFERENCE_NETWORK_SIZES = ((320, 96), (640, 192), (1024, 320))
#: Timed pairs (end-to-end, bare network forward; interleaved) per network size.
DEFAULT_INFERENCE_REPEATS = 20
#: End-to-end median over the bare encoder + decoder forward's median, at REFERENCE_SIZE, at most.
TARGET_INFERENCE_RATIO = 1.15

#: Training: one step (mono, batch 2, 4 scales) is timed at each of these sizes; the target is judged at
#: REFERENCE_SIZE (core/training's bench module holds it).
TRAINING_SIZES = ((320, 96), (640, 192))

#: depth_node overload: seconds of images at 3x the node's maximum rate.
DEFAULT_OVERLOAD_S = 30.0
