"""Sub-commands of `mono-depth-ros`, one module each (see mono_depth_ros.cli)."""
