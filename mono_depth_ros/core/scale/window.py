"""The robust sliding window every online scale estimator shares: per-sample scales in, one robust scale out.

Each estimator turns one observation (a pair of motions, a stereo pair, an image of the ground) into one scale
sample; the window keeps the newest `size` samples and estimates from them:

1. median m and MAD (median absolute deviation) of the samples;
2. inliers: |x - m| <= rejection * 1.4826 * MAD (1.4826 MAD is the standard deviation for Gaussian noise);
3. scale = median of the inliers; relative uncertainty = 1.4826 * MAD_inliers / scale / sqrt(inliers);
4. converged when inliers >= min_samples and relative uncertainty <= tolerance.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

import numpy as np

from mono_depth_ros.core.numbers import check_count, check_positive, is_positive_number
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError

__all__ = ["MAD_TO_SIGMA", "RobustWindow", "ScaleEstimate", "WindowedScaleEstimator", "robust_scale"]

MAD_TO_SIGMA = 1.4826
"""1 / Phi^-1(3/4): the MAD of Gaussian samples times this is their standard deviation."""


class ScaleEstimate(NamedTuple):
    """An online scale estimate: metres per unit of the network's relative depth."""

    scale: float
    relative_uncertainty: float
    """Standard error of the scale divided by the scale (0.01: about 1 %)."""
    samples: int
    """Samples the estimate rests on (the inliers of the window)."""
    converged: bool
    """Enough samples and a relative uncertainty at or below the estimator's tolerance."""


def robust_scale(samples: object, rejection: float = 3.0) -> tuple[float, float, int]:
    """(scale, relative uncertainty, inliers) of positive scale samples (N,), by the rule in the module docstring.

    Raises:
        ScaleInputError: no sample, or a sample that is not finite and positive.
        ScaleError: a rejection threshold that is not finite and positive.
    """
    rejection = check_positive(rejection, "robust_scale rejection", ScaleError)
    values = np.asarray(samples, dtype=np.float64).ravel()
    if values.size == 0:
        raise ScaleInputError("robust_scale needs at least one sample, got none")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ScaleInputError(f"robust_scale samples must be finite and positive, got {float(values[bad][0])!r}")
    centre = np.median(values)
    spread = MAD_TO_SIGMA * np.median(np.abs(values - centre))
    inliers = values[np.abs(values - centre) <= rejection * spread]
    scale = float(np.median(inliers))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(inliers - scale)))
    return scale, sigma / scale / math.sqrt(inliers.size), int(inliers.size)


class RobustWindow:
    """The newest `size` scale samples and their robust estimate (see the module docstring).

    Raises:
        ScaleError: size or min_samples not an integer >= 1, min_samples > size, tolerance or rejection not finite
            and positive.
    """

    def __init__(self, size: int = 100, min_samples: int = 10, tolerance: float = 0.01, rejection: float = 3.0) -> None:
        self.size = check_count(size, "window size", ScaleError)
        self.min_samples = check_count(min_samples, "window min_samples", ScaleError)
        if self.min_samples > self.size:
            raise ScaleError(f"window min_samples ({self.min_samples}) must not exceed its size ({self.size})")
        self.tolerance = check_positive(tolerance, "window tolerance", ScaleError)
        self.rejection = check_positive(rejection, "window rejection", ScaleError)
        self._samples: deque[float] = deque(maxlen=self.size)

    def __len__(self) -> int:
        return len(self._samples)

    def add(self, sample: float) -> None:
        """Append one scale sample; the oldest falls out once the window is full.

        Raises:
            ScaleInputError: a sample that is not a finite positive number.
        """
        if not is_positive_number(sample):
            raise ScaleInputError(f"a scale sample must be a finite positive number, got {sample!r}")
        self._samples.append(float(sample))

    def clear(self) -> None:
        """Forget every sample (a new sequence starts)."""
        self._samples.clear()

    def estimate(self) -> ScaleEstimate | None:
        """The robust estimate of the samples in the window, or None while it is empty."""
        if not self._samples:
            return None
        scale, uncertainty, inliers = robust_scale(np.fromiter(self._samples, dtype=np.float64), self.rejection)
        converged = inliers >= self.min_samples and uncertainty <= self.tolerance
        return ScaleEstimate(scale, uncertainty, inliers, converged)


class WindowedScaleEstimator:
    """Base of the online estimators (odometry, stereo, ground): each turns one observation into one scale sample
    added to `window`, a `RobustWindow` of the newest `window` samples whose estimate is theirs.

    `min_samples` is capped at `window` (more samples than the window holds could never be reached).

    Raises:
        ScaleError: window or min_samples not an integer >= 1, tolerance or rejection not finite and positive.
    """

    def __init__(self, window: int, min_samples: int, tolerance: float, rejection: float) -> None:
        size = check_count(window, "window", ScaleError)
        needed = min(check_count(min_samples, "min_samples", ScaleError), size)
        self.window = RobustWindow(size, needed, tolerance, rejection)

    def estimate(self) -> ScaleEstimate | None:
        """The current estimate, or None before the first used sample."""
        return self.window.estimate()

    def clear(self) -> None:
        """Forget every sample."""
        self.window.clear()
