"""The benchmarks behind `mono-depth-ros bench`, one module per benchmark, all summarised as
`timing.Timing` (median, p90); `inference` alternates its two timed calls, the others use `timing.measure`.

- `timing`: the shared timing helper (`measure` -> `Timing`) and `machine_line`, the machine a run was taken on.
- `render`: frames/s of the synthetic street renderer, mono and stereo, and the world's build time.
- `conversions`: rclpy message conversions (Image, 32FC1 depth, PointCloud2) against their targets.
- `inference`: the end-to-end DepthEstimator against the bare network forward, at three network sizes.
- `training`: median time of one self-supervised training step (mono, batch 2, 4 scales) at 320x96 and 640x192.
- `node`: depth_node on a real rclpy graph: overhead over the DepthEstimator alone, and overload at 3x its rate.
- `calibration` (with `live_metric` and `live_graph`): how fast and how close each calibration mode gets to a
  trained model's true scale on a synthetic drive, and metric Abs Rel through the live graph (launcher + replay).
- `settings`: reference size, default counts and targets (light: the command's help reads them).
- `errors`: `BenchmarkError`.

Nothing is imported here: `conversions` pulls in the ROS message packages, `render` the renderer and `inference`
the networks, and the command imports only what it runs.
"""
