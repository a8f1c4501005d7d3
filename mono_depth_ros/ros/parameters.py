"""ROS parameters from typed specs: declared with descriptors (description, range, choices), checked with one
function at start-up and on every run-time change, and applied through a callback that may refuse with a reason.

    SPECS = (ParameterSpec("rate_hz", 2.0, "estimation rate", minimum=0.1, maximum=100.0), ...)
    values = declare_parameters(node, SPECS)          # after --ros-args / params-file overrides
    guard = ParameterGuard(node, SPECS, apply)        # apply(changes) -> None (accepted) or a reason

The default's type is the parameter's type (dynamic typing off); an empty list default declares a string array.
`minimum` / `maximum` (inclusive) apply to numbers and to each element of a number list; `choices` to strings and to
each element of a string list.
"""

from __future__ import annotations

import math
from array import array as py_array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TypeVar, Union

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import (
    InvalidParameterTypeException,
    InvalidParameterValueException,
    ParameterUninitializedException,
)
from rclpy.node import Node
from rclpy.parameter import Parameter

from mono_depth_ros.ros.errors import ParameterError

__all__ = [
    "NodeSettings",
    "ParameterGuard",
    "ParameterSpec",
    "ParameterValue",
    "check_parameter",
    "declare_parameters",
]

ParameterValue = Union[bool, int, float, str, list[float], list[str]]  # noqa: UP007 (Python 3.10 aliases)

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: its name, default (whose type is the parameter's), description and constraints."""

    name: str
    default: ParameterValue
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    read_only: bool = False

    @property
    def kind(self) -> type:
        """The Python type of the value (bool, int, float, str) or of each element of a list default."""
        if isinstance(self.default, (list, tuple)):
            return type(self.default[0]) if self.default else str
        return type(self.default)

    @property
    def is_list(self) -> bool:
        return isinstance(self.default, (list, tuple))


SettingsT = TypeVar("SettingsT", bound="NodeSettings")


class NodeSettings:
    """Base of a node's settings: a frozen dataclass of its parameter values, checked together by `validated`.

    Values of parameters that are not fields (use_sim_time, ...) are ignored.
    """

    @classmethod
    def from_values(cls: type[SettingsT], values: Mapping[str, ParameterValue]) -> SettingsT:
        """Settings from parameter values (each already checked against its spec); ParameterError naming the
        values when they do not fit together."""
        return cls().with_changes(values)

    def with_changes(self: SettingsT, changes: Mapping[str, ParameterValue]) -> SettingsT:
        """These settings with `changes` (parameter values) applied, validated."""
        known = {item.name for item in fields(self)}
        return replace(self, **{name: value for name, value in changes.items() if name in known}).validated()

    def validated(self: SettingsT) -> SettingsT:
        """These settings, normalised and checked together; ParameterError naming a bad combination."""
        return self


def _describe_value(value: object) -> str:
    return repr(value.tolist()) if isinstance(value, py_array) else repr(value)


def _check_scalar(spec: ParameterSpec, value: object, what: str) -> str | None:
    kind = spec.kind
    if kind is bool:
        if not isinstance(value, bool):
            return f"{what} must be a boolean, got {value!r}"
        return None
    if kind is str:
        if not isinstance(value, str):
            return f"{what} must be a string, got {value!r}"
        if spec.choices and value not in spec.choices:
            return f"{what} must be one of {', '.join(spec.choices)}, got {value!r}"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{what} must be {'an integer' if kind is int else 'a number'}, got {value!r}"
    if kind is int and not isinstance(value, int):
        return f"{what} must be an integer, got {value!r}"
    if not math.isfinite(value):
        return f"{what} must be a finite number, got {value!r}"
    if spec.minimum is not None and value < spec.minimum:
        return f"{what} must be at least {spec.minimum}, got {value!r}"
    if spec.maximum is not None and value > spec.maximum:
        return f"{what} must be at most {spec.maximum}, got {value!r}"
    return None


def check_parameter(spec: ParameterSpec, value: object) -> str | None:
    """Why `value` is not acceptable for `spec` (type, NaN, range, choice; naming the parameter and the value), or
    None when it is."""
    what = f"parameter {spec.name!r}"
    if not spec.is_list:
        return _check_scalar(spec, value, what)
    if not isinstance(value, (list, tuple, py_array)):
        return f"{what} must be a list, got {value!r}"
    for index, element in enumerate(value):
        reason = _check_scalar(spec, element, f"{what}[{index}]")
        if reason is not None:
            return f"{reason} (in {_describe_value(value)})"
    return None


def _plain(value: object) -> ParameterValue:
    """A parameter value as the spec's plain Python type (arrays as lists)."""
    if isinstance(value, (py_array, tuple)):
        return list(value)
    return value  # type: ignore[return-value]


def _parameter_type(spec: ParameterSpec) -> Parameter.Type:
    if spec.is_list:
        kind = spec.kind
        if kind is str:
            return Parameter.Type.STRING_ARRAY
        if kind is bool:
            return Parameter.Type.BOOL_ARRAY
        return Parameter.Type.INTEGER_ARRAY if kind is int else Parameter.Type.DOUBLE_ARRAY
    return Parameter.Type.from_parameter_value(spec.default)


def descriptor(spec: ParameterSpec) -> ParameterDescriptor:
    """The ParameterDescriptor of `spec` (what `ros2 param describe` shows)."""
    out = ParameterDescriptor(
        name=spec.name, type=_parameter_type(spec).value, description=spec.description, read_only=spec.read_only
    )
    if spec.choices:
        out.additional_constraints = f"one of: {', '.join(spec.choices)}"
    bounded = spec.minimum is not None or spec.maximum is not None
    # Descriptor ranges apply to scalars only (rclpy checks them before any callback); lists are checked by
    # check_parameter.
    if bounded and not spec.is_list and spec.kind is int:
        low = _INT64_MIN if spec.minimum is None else math.ceil(spec.minimum)
        high = _INT64_MAX if spec.maximum is None else math.floor(spec.maximum)
        out.integer_range = [IntegerRange(from_value=low, to_value=high, step=0)]
    elif bounded and not spec.is_list and spec.kind is float:
        low = -math.inf if spec.minimum is None else float(spec.minimum)
        high = math.inf if spec.maximum is None else float(spec.maximum)
        out.floating_point_range = [FloatingPointRange(from_value=low, to_value=high, step=0.0)]
    return out


def _check_spec(spec: ParameterSpec) -> None:
    if isinstance(spec.default, (list, tuple)) and len({type(v) for v in spec.default}) > 1:
        raise ParameterError(f"parameter {spec.name!r}: a list default must hold one type, got {spec.default!r}")
    reason = check_parameter(spec, _plain(spec.default))
    if reason is not None:
        raise ParameterError(f"the default of {reason}")


def declare_parameters(node: Node, specs: Iterable[ParameterSpec]) -> dict[str, ParameterValue]:
    """Declare every spec on `node` and return the current values (defaults, or the --ros-args / params-file
    overrides), each checked with `check_parameter`: a bad one is a ParameterError naming it and its value."""
    values: dict[str, ParameterValue] = {}
    for spec in specs:
        _check_spec(spec)
        try:
            if spec.is_list and not spec.default:
                # An empty list has no element type to infer: declare the type, then set the (empty) default
                # unless an override gave a value.
                node.declare_parameter(spec.name, _parameter_type(spec), descriptor(spec))
                try:
                    node.get_parameter(spec.name)
                except ParameterUninitializedException:
                    node.set_parameters([Parameter(spec.name, _parameter_type(spec), [])])
            else:
                node.declare_parameter(spec.name, _plain(spec.default), descriptor(spec))
        except (InvalidParameterTypeException, InvalidParameterValueException) as exc:
            raise ParameterError(f"parameter {spec.name!r}: {exc}") from exc
        value = _plain(node.get_parameter(spec.name).value)
        reason = check_parameter(spec, value)
        if reason is not None:
            raise ParameterError(reason)
        values[spec.name] = value
    return values


Apply = Callable[[dict[str, ParameterValue]], Union[str, None]]  # noqa: UP007


class ParameterGuard:
    """Checks every run-time change of the specs' parameters and hands the accepted ones to `apply`.

    Registered as the node's on-set-parameters callback: a change is refused (with the reason in the
    SetParametersResult, as `ros2 param set` prints it) when `check_parameter` rejects a value, or when
    `apply(changes)` returns a reason (e.g. a checkpoint that failed to load) or raises. Parameters not in `specs`
    pass through untouched. An integer given for a floating-point parameter (`ros2 param set /node scale 2`) is
    taken as that float rather than refused for its type.
    """

    def __init__(self, node: Node, specs: Sequence[ParameterSpec], apply: Apply) -> None:
        self._specs: Mapping[str, ParameterSpec] = {spec.name: spec for spec in specs}
        self._apply = apply
        self._node = node
        node.add_pre_set_parameters_callback(self._widen_integers)
        node.add_on_set_parameters_callback(self._on_set)

    def close(self) -> None:
        """Stop guarding (the callbacks are removed)."""
        self._node.remove_pre_set_parameters_callback(self._widen_integers)
        self._node.remove_on_set_parameters_callback(self._on_set)

    def _widen_integers(self, parameters: list[Parameter]) -> list[Parameter]:
        out = []
        for parameter in parameters:
            spec = self._specs.get(parameter.name)
            if (
                spec is not None
                and not spec.is_list
                and spec.kind is float
                and parameter.type_ == Parameter.Type.INTEGER
            ):
                parameter = Parameter(parameter.name, Parameter.Type.DOUBLE, float(parameter.value))
            out.append(parameter)
        return out

    def _on_set(self, parameters: list[Parameter]) -> SetParametersResult:
        changes: dict[str, ParameterValue] = {}
        for parameter in parameters:
            spec = self._specs.get(parameter.name)
            if spec is None:
                continue
            value = _plain(parameter.value)
            reason = check_parameter(spec, value)
            if reason is not None:
                return SetParametersResult(successful=False, reason=reason)
            changes[spec.name] = value
        if not changes:
            return SetParametersResult(successful=True)
        try:
            reason = self._apply(changes)
        except Exception as exc:  # a refusal, never a crashed parameter service
            reason = f"{type(exc).__name__}: {exc}"
        if reason is not None:
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)
