"""The end-to-end demo (`mono-depth-ros demo`, `make demo`): a synthetic drive through the real ROS 2 graph, scored
against ground truth, with pictures, a point cloud, a scale plot and metrics.json."""

from mono_depth_ros.demo.outputs import DemoOutputError, depth_panel, write_json, write_ply, write_png
from mono_depth_ros.demo.run import DEFAULT_DEMO_FRAMES, DEMO_CALIBRATIONS, TARGET_DEMO_ABS_REL, DemoResult, run_demo

__all__ = [
    "DEFAULT_DEMO_FRAMES",
    "DEMO_CALIBRATIONS",
    "TARGET_DEMO_ABS_REL",
    "DemoOutputError",
    "DemoResult",
    "depth_panel",
    "run_demo",
    "write_json",
    "write_ply",
    "write_png",
]
