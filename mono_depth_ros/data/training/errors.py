"""Errors of the recorded-bag training data."""

from __future__ import annotations

from mono_depth_ros.core.training.errors import TrainingDataError
from mono_depth_ros.data.bag.errors import BagError


class BagDataError(BagError, TrainingDataError):
    """A bag that cannot give training windows: wrong topic type, no camera_info, no stereo pair, too few frames.

    Both a `BagError` (the recording) and a `TrainingDataError` (what the trainer needed from it)."""
