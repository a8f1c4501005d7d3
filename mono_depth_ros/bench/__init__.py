"""The benchmarks behind `mono-depth-ros bench`, one module per benchmark, all summarised as
`timing.Timing` (median, p90); `inference` alternates its two timed calls, the others use `timing.measure`.

- `timing`: the shared timing helper (`measure` -> `Timing`) and `machine_line`, the machine a run was taken on.
- `render`: frames/s of the synthetic street renderer, mono and stereo, and the world's build time.
- `conversions`: rclpy message conversions (Image, 32FC1 depth, PointCloud2) against their targets.
- `inference`: the end-to-end DepthEstimator against the bare network forward, at three network sizes.
- `settings`: reference size, default counts and targets (light: the command's help reads them).
- `errors`: `BenchmarkError`.

Nothing is imported here: `conversions` pulls in the ROS message packages, `render` the renderer and `inference`
the networks, and the command imports only what it runs.
"""
