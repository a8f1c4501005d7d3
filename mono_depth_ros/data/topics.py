"""Topic and frame names of a simulated recording (`mono-depth-ros simulate`), which are also the launch defaults.

Imports nothing heavy (no numpy, torch or bag stack), so the launch plan and the CLI's `--help` can read them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CAMERA_NAMESPACE", "SIM_TOPICS", "SimTopics"]

CAMERA_NAMESPACE = "/camera"
"""The namespace of a simulated recording's camera topics."""


@dataclass(frozen=True)
class SimTopics:
    """Topic and frame names of a simulated recording."""

    left_image: str = f"{CAMERA_NAMESPACE}/left/image_raw"
    left_info: str = f"{CAMERA_NAMESPACE}/left/camera_info"
    right_image: str = f"{CAMERA_NAMESPACE}/right/image_raw"
    right_info: str = f"{CAMERA_NAMESPACE}/right/camera_info"
    left_depth: str = f"{CAMERA_NAMESPACE}/left/depth_ground_truth"
    odometry: str = "/odom"
    tf_static: str = "/tf_static"
    odom_frame: str = "odom"
    base_frame: str = "base_link"
    left_frame: str = "camera_left_optical_frame"
    right_frame: str = "camera_right_optical_frame"

    @staticmethod
    def compressed(image_topic: str) -> str:
        return f"{image_topic}/compressed"

    @staticmethod
    def in_camera_namespace(topic: str) -> str:
        """`topic` relative to CAMERA_NAMESPACE (/camera/left/image_raw -> left/image_raw); others as they are."""
        prefix = f"{CAMERA_NAMESPACE}/"
        return topic[len(prefix) :] if topic.startswith(prefix) else topic


SIM_TOPICS = SimTopics()
