"""rosbag2 files through the `rosbags` library (no rclpy): writing, summaries, reading.

Message building lives in `mono_depth_ros.data.bag.messages` (imported from there: it needs the torch-based
geometry core, and this package stays light so that command-line parsing does not load torch).
"""

from mono_depth_ros.data.bag.errors import BagError
from mono_depth_ros.data.bag.reading import BagMessage, iter_messages
from mono_depth_ros.data.bag.summary import BagSummary, TopicSummary, summarise_bag
from mono_depth_ros.data.bag.typestores import DEFAULT_DISTRIBUTION, DISTRIBUTIONS, typestore_for
from mono_depth_ros.data.bag.writer import STORAGE_PLUGINS, BagWriter, StorageFormat, offered_qos

__all__ = [
    "DEFAULT_DISTRIBUTION",
    "DISTRIBUTIONS",
    "STORAGE_PLUGINS",
    "BagError",
    "BagMessage",
    "BagSummary",
    "BagWriter",
    "StorageFormat",
    "TopicSummary",
    "iter_messages",
    "offered_qos",
    "summarise_bag",
    "typestore_for",
]
