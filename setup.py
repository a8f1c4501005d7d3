"""ament_python package definition: `colcon build` in a ROS 2 workspace, or `pip install -e .` anywhere."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "mono_depth_ros"

setup(
    name=PACKAGE,
    version="1.0.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    # The bundled demo model (mono_depth_ros.assets.DEMO_MODEL), read from its file path.
    package_data={f"{PACKAGE}.assets": ["*.pt"]},
    python_requires=">=3.10",
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.rviz")),
    ],
    # ROS 2 itself (rclpy, message packages) comes from the ROS install or the ros-* wheels, and torch from the
    # user's chosen build (CPU or CUDA): neither is pinned here so that pip never replaces them.
    install_requires=["numpy", "opencv-python-headless", "scipy", "pyyaml", "tqdm", "rosbags>=0.10"],
    zip_safe=False,
    maintainer="mono_depth_ros maintainers",
    maintainer_email="maintainers@mono-depth-ros.dev",
    description="Metric depth from one camera for ROS 2",
    license="Apache-2.0",
    # `mono-depth-ros export` (ONNX); onnxscript is needed only by its `--exporter dynamo`.
    extras_require={"test": ["pytest"], "onnx": ["onnx>=1.17", "onnxruntime>=1.19", "onnxscript>=0.7"]},
    entry_points={
        "console_scripts": [
            f"depth_node = {PACKAGE}.ros.entry_points:depth_node",
            f"calibration_node = {PACKAGE}.ros.entry_points:calibration_node",
            f"trainer_node = {PACKAGE}.ros.entry_points:trainer_node",
            f"mono-depth-ros = {PACKAGE}.cli:main",
        ],
    },
)
