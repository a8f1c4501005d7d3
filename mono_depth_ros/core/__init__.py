"""ROS-free core: torch, numpy, OpenCV and SciPy only. Never imports rclpy, message packages or rosbags."""
