"""Which `rosbags` type store describes a ROS 2 distribution's messages."""

from __future__ import annotations

from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore

from mono_depth_ros.data.bag.errors import BagError

#: Distributions whose message definitions bags can be written with (newest first).
DISTRIBUTIONS: dict[str, Stores] = {
    "kilted": Stores.ROS2_KILTED,
    "jazzy": Stores.ROS2_JAZZY,
    "humble": Stores.ROS2_HUMBLE,
}
DEFAULT_DISTRIBUTION = "kilted"


def typestore_for(distribution: str) -> Typestore:
    """The type store of `distribution` (kilted, jazzy or humble)."""
    try:
        return get_typestore(DISTRIBUTIONS[distribution])
    except KeyError:
        known = ", ".join(DISTRIBUTIONS)
        raise BagError(f"unknown ROS 2 distribution {distribution!r}; expected one of {known}") from None
