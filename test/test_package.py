"""The package as ROS 2 and pip see it: manifest, entry points, data files, and the ROS-free core."""

from __future__ import annotations

import ast
import configparser
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONTRACT_EXECUTABLES = {"depth_node", "calibration_node", "trainer_node", "mono-depth-ros"}


def test_package_xml_is_format_3_ament_python_with_the_runtime_dependencies() -> None:
    root = ElementTree.parse(ROOT / "package.xml").getroot()
    assert root.tag == "package"
    assert root.get("format") == "3"
    assert root.findtext("name") == "mono_depth_ros"
    assert root.find("export/build_type").text == "ament_python"
    depends = {element.text for element in root.iter() if element.tag.endswith("depend")}
    required = {
        "rclpy",
        "sensor_msgs",
        "nav_msgs",
        "std_msgs",
        "geometry_msgs",
        "stereo_msgs",
        "diagnostic_msgs",
        "launch_ros",
        "python3-numpy",
        "python3-opencv",
        "python3-scipy",
        "python3-yaml",
        "python3-pytorch-pip",
    }
    assert required <= depends, required - depends


def _setup_call() -> ast.Call:
    tree = ast.parse((ROOT / "setup.py").read_text())
    return next(
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup"
    )


def test_setup_declares_the_contract_executables() -> None:
    keywords = {k.arg: k.value for k in _setup_call().keywords}
    entry_points = keywords["entry_points"]
    scripts = next(
        v for k, v in zip(entry_points.keys, entry_points.values, strict=True) if k.value == "console_scripts"
    )
    names = set()
    for element in scripts.elts:
        text = element.value if isinstance(element, ast.Constant) else ast.unparse(element).strip("f'\"")
        names.add(text.split("=")[0].strip())
    assert names == CONTRACT_EXECUTABLES


def test_setup_cfg_puts_scripts_where_ros2_run_looks() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["develop"]["script_dir"] == "$base/lib/mono_depth_ros"
    assert config["install"]["install_scripts"] == "$base/lib/mono_depth_ros"


def test_ament_resource_marker_exists() -> None:
    assert (ROOT / "resource" / "mono_depth_ros").is_file()


def test_core_and_data_import_without_ros_and_core_without_rosbags(import_blocking) -> None:  # type: ignore[no-untyped-def]
    """Import every core module with rclpy, message packages and rosbags made unimportable."""
    blocked = {"rclpy", "sensor_msgs", "nav_msgs", "std_msgs", "geometry_msgs", "stereo_msgs", "diagnostic_msgs"}
    blocked |= {"builtin_interfaces", "rosbags"}
    assert import_blocking(blocked, "mono_depth_ros.core") >= 10  # geometry, wire and shapes modules were all imported


def test_only_the_ros_layer_imports_rclpy() -> None:
    offenders = []
    for path in (ROOT / "mono_depth_ros").rglob("*.py"):
        if path.is_relative_to(ROOT / "mono_depth_ros" / "ros"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] in {"rclpy", "sensor_msgs", "nav_msgs", "std_msgs"} for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_setup_py_package_xml_and_the_module_agree_on_the_version() -> None:
    import re

    from mono_depth_ros import __version__

    root = Path(__file__).resolve().parents[1]
    assert re.search(r'version="([^"]+)"', (root / "setup.py").read_text()).group(1) == __version__
    assert re.search(r"<version>([^<]+)</version>", (root / "package.xml").read_text()).group(1) == __version__
