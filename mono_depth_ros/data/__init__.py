"""Data sources: rosbag2 reading and writing (`data.bag`, through the `rosbags` library, no rclpy) and the
synthetic street (`data.sim`). Import the submodules directly; this package imports nothing on purpose, so that
`import mono_depth_ros.data.sim` does not pull in the bag stack (and vice versa).
"""
