"""ROS 2 adapters: the only code that imports rclpy or message packages (nodes, message conversions, parameters,
QoS profiles). Import-free on purpose: `import mono_depth_ros.ros` must not pull in rclpy; import the submodules."""
