"""`mono-depth-ros launch`: start the depth and calibration nodes without launch_ros."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "launch", "Start the depth and calibration nodes without launch_ros", "arrives with the live-graph issue"
)
