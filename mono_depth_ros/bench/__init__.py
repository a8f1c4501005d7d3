"""The benchmarks behind `mono-depth-ros bench`, one module per benchmark, all timed by `timing.measure`.

- `timing`: the shared timing helper (`measure` -> `Timing`) and `machine_line`, the machine a run was taken on.
- `render`: frames/s of the synthetic street renderer, mono and stereo, and the world's build time.
- `conversions`: rclpy message conversions (Image, 32FC1 depth, PointCloud2) against their targets.
- `settings`: reference size, default counts and targets (light: the command's help reads them).
- `errors`: `BenchmarkError`.

Nothing is imported here: `conversions` pulls in the ROS message packages and `render` the renderer, and the command
imports only what it runs.
"""
