"""Training data from recorded rosbag2 files (mcap or sqlite3, through `rosbags`; no rclpy).

`build_bag_data(config, BagSelection(...))` gives the trainer its windows: frames decoded once into a memory-mapped
cache at the training size, camera_info segments, stereo pairs by stamp, static frames skipped, a time-ordered
validation split, and odometry interpolated at the frames' stamps.
"""

from mono_depth_ros.data.training.cache import CachedFrames, FrameSource, default_cache_dir, load_frames
from mono_depth_ros.data.training.cameras import CameraTimeline, FrameGeometry, ImageFit, Rectify, plan_geometry
from mono_depth_ros.data.training.dataset import BagData, BagDataset, build_bag_data
from mono_depth_ros.data.training.errors import BagDataError
from mono_depth_ros.data.training.job import prepare_bag_training
from mono_depth_ros.data.training.odometry import OdometryTrack
from mono_depth_ros.data.training.selection import BagSelection, camera_info_topic_for
from mono_depth_ros.data.training.summary import BagDataSummary, BagReport
from mono_depth_ros.data.training.windows import Window, moving_frames, pair_by_stamp, split_by_time, triplets

__all__ = [
    "BagData",
    "BagDataError",
    "BagDataSummary",
    "BagDataset",
    "BagReport",
    "BagSelection",
    "CachedFrames",
    "CameraTimeline",
    "FrameGeometry",
    "FrameSource",
    "ImageFit",
    "OdometryTrack",
    "Rectify",
    "Window",
    "build_bag_data",
    "camera_info_topic_for",
    "default_cache_dir",
    "load_frames",
    "moving_frames",
    "pair_by_stamp",
    "plan_geometry",
    "prepare_bag_training",
    "split_by_time",
    "triplets",
]
