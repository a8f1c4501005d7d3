"""Scale core: turn the networks' relative depth into metres.

- alignment: per-image median scale, one global factor (streamed), the Wasserstein-optimal per-image scale.
- window: the robust sliding window (median, MAD outlier rejection, uncertainty) every online estimator shares, and
  their base `WindowedScaleEstimator`.
- odometry: pose-network motion against odometry motion (`OdometryScaleEstimator`, `OdometryTrack`).
- reprojection: the scale whose depth best explains the image motion odometry measured (`reprojection_scale`).
- stereo: StereoSGBM depth of a rectified pair against relative depth (`stereo_depth`, `StereoScaleEstimator`).
- ground: RANSAC ground plane at a known camera height (`ground_scale`, `GroundScaleEstimator`).

Every estimator is a plain function plus a small class, driven in tests with known relative depth and motion. A
scale is metres per unit of the network's relative depth. ROS-free (numpy, OpenCV, SciPy; torch tensors accepted).
"""

from mono_depth_ros.core.scale.alignment import (
    GlobalScaleAccumulator,
    global_scale,
    median_scale,
    wasserstein_distance,
    wasserstein_optimal_scale,
)
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError
from mono_depth_ros.core.scale.ground import GroundPlane, GroundScaleEstimator, fit_ground_plane, ground_scale
from mono_depth_ros.core.scale.odometry import (
    OdometryScaleEstimator,
    OdometryTrack,
    SampleVerdict,
    camera_motion,
    interpolate_pose,
    rotation_angle,
)
from mono_depth_ros.core.scale.reprojection import ReprojectionFit, reprojection_scale
from mono_depth_ros.core.scale.stereo import StereoScaleEstimator, stereo_baseline, stereo_depth
from mono_depth_ros.core.scale.window import (
    MAD_TO_SIGMA,
    RobustWindow,
    ScaleEstimate,
    WindowedScaleEstimator,
    robust_scale,
)

__all__ = [
    "MAD_TO_SIGMA",
    "GlobalScaleAccumulator",
    "GroundPlane",
    "GroundScaleEstimator",
    "OdometryScaleEstimator",
    "OdometryTrack",
    "ReprojectionFit",
    "RobustWindow",
    "SampleVerdict",
    "ScaleError",
    "ScaleEstimate",
    "ScaleInputError",
    "StereoScaleEstimator",
    "WindowedScaleEstimator",
    "camera_motion",
    "fit_ground_plane",
    "global_scale",
    "ground_scale",
    "interpolate_pose",
    "median_scale",
    "reprojection_scale",
    "robust_scale",
    "rotation_angle",
    "stereo_baseline",
    "stereo_depth",
    "wasserstein_distance",
    "wasserstein_optimal_scale",
]
