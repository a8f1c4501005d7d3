"""mono_depth_ros: metric depth from one camera for ROS 2.

Layers: `core` (ROS-free torch/numpy: geometry, wire formats, models, losses, scale, training, evaluation,
inference), `data` (rosbag2 through the `rosbags` library, the synthetic world), `ros` (the only code that imports
rclpy and message packages) and `cli` (the `mono-depth-ros` command).
"""

__version__ = "1.0.0"
