"""The drive: smooth speed and heading profiles from the seed, integrated into a planar base_link trajectory.

Speed and heading are sums of sinusoids, so they, the yaw rate and the travelled distance are analytic; only the
position needs integrating, done once on a fine grid with a fourth-order rule and read back with cubic Hermite
interpolation whose end slopes are the exact velocities. Poses and twists are therefore consistent to ~1e-9 m.

The car moves like a unicycle: twist = (v, 0, 0) linear and (0, 0, yaw rate) angular, both in base_link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mono_depth_ros.data.sim.config import SimConfig
from mono_depth_ros.data.sim.errors import SimulationError

__all__ = ["Trajectory"]

# Integration step of the position grid: with the 4th-order rule the error is far below a micrometre per second.
_GRID_STEP_S = 0.02
# Tolerance on time queries just outside [start, end] (float round-off of index / rate).
_TIME_SLACK_S = 1e-9


@dataclass(frozen=True)
class _Sinusoids:
    """f(t) = sum_k amplitude_k sin(frequency_k t + phase_k) with sum |amplitude_k| = 1, so |f| <= 1."""

    amplitudes: np.ndarray
    frequencies: np.ndarray
    phases: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator, count: int, low: float, high: float) -> _Sinusoids:
        amplitudes = rng.uniform(0.3, 1.0, count) * rng.choice([-1.0, 1.0], count)
        return cls(
            amplitudes=amplitudes / np.abs(amplitudes).sum(),
            frequencies=rng.uniform(low, high, count),
            phases=rng.uniform(0.0, 2 * np.pi, count),
        )

    def _angles(self, t: np.ndarray) -> np.ndarray:
        return np.multiply.outer(t, self.frequencies) + self.phases

    def value(self, t: np.ndarray) -> np.ndarray:
        return np.sin(self._angles(t)) @ self.amplitudes

    def derivative(self, t: np.ndarray) -> np.ndarray:
        return np.cos(self._angles(t)) @ (self.amplitudes * self.frequencies)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """The integral from 0 to t."""
        return (np.cos(self.phases) - np.cos(self._angles(t))) @ (self.amplitudes / self.frequencies)


class Trajectory:
    """base_link in the odom frame over [start, end] seconds; identity pose at t = 0.

    `start` is negative: the path also exists behind the starting point, so the world can be built around it.
    Times between `end_of_drive` and `end` are the look-ahead used to build the street beyond the last frame.
    """

    def __init__(self, config: SimConfig, duration: float, look_ahead: float) -> None:
        if not np.isfinite(duration) or duration < 0:
            raise SimulationError(f"trajectory duration must be >= 0 s, got {duration}")
        rng = np.random.default_rng([config.seed, 1])
        self.min_speed = config.min_speed
        self.max_speed = config.max_speed
        self.max_heading = config.max_heading
        # Speed: changes over ~10-60 s, |acceleration| <= half range * 0.25 s^-1 (1.25 m/s^2 for 5-15 m/s).
        self._speed = _Sinusoids.random(rng, 3, 0.08, 0.25)
        # Heading = max_heading * (g(t) - g(0)) / 2 keeps |yaw| <= max_heading; its frequencies bound the yaw rate.
        top_frequency = 2 * config.max_yaw_rate / config.max_heading if config.max_heading > 0 else 0.0
        self._heading = _Sinusoids.random(rng, 3, 0.4 * top_frequency, top_frequency) if top_frequency > 0 else None
        self.end_of_drive = float(duration)
        self.start = -40.0 / config.min_speed  # >= 40 m of street behind the start
        # A fixed-step grid from a fixed start: a longer drive's grid extends this one, so the shared part of the
        # trajectory (and of the world built along it) is bit-identical.
        wanted_end = float(duration) + look_ahead / config.min_speed  # >= look_ahead metres past the last frame
        steps = int(np.ceil((wanted_end - self.start) / _GRID_STEP_S))
        self._grid = self.start + _GRID_STEP_S * np.arange(steps + 1)
        self.end = float(self._grid[-1])
        self._grid_velocity = self._velocity_xy(self._grid)
        self._grid_xy = self._integrate_positions(self._grid)

    # Analytic profiles -------------------------------------------------------------------------------------------

    def speed(self, t: np.ndarray | float) -> np.ndarray:
        """Forward speed v(t) in m/s, within [min_speed, max_speed]."""
        mid, half = 0.5 * (self.max_speed + self.min_speed), 0.5 * (self.max_speed - self.min_speed)
        return mid + half * self._speed.value(np.asarray(t, dtype=np.float64))

    def distance(self, t: np.ndarray | float) -> np.ndarray:
        """Arc length travelled since t = 0 (negative before it)."""
        mid, half = 0.5 * (self.max_speed + self.min_speed), 0.5 * (self.max_speed - self.min_speed)
        t = np.asarray(t, dtype=np.float64)
        return mid * t + half * self._speed.integral(t)

    def heading(self, t: np.ndarray | float) -> np.ndarray:
        """Yaw of base_link in odom (rad); 0 at t = 0."""
        t = np.asarray(t, dtype=np.float64)
        if self._heading is None:
            return np.zeros_like(t)
        return 0.5 * self.max_heading * (self._heading.value(t) - self._heading.value(np.zeros(())))

    def yaw_rate(self, t: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if self._heading is None:
            return np.zeros_like(t)
        return 0.5 * self.max_heading * self._heading.derivative(t)

    def _velocity_xy(self, t: np.ndarray) -> np.ndarray:
        speed, heading = self.speed(t), self.heading(t)
        return np.stack((speed * np.cos(heading), speed * np.sin(heading)), axis=-1)

    def _acceleration_xy(self, t: np.ndarray) -> np.ndarray:
        half = 0.5 * (self.max_speed - self.min_speed)
        dv = half * self._speed.derivative(t)
        speed, heading, omega = self.speed(t), self.heading(t), self.yaw_rate(t)
        cos, sin = np.cos(heading), np.sin(heading)
        return np.stack((dv * cos - speed * sin * omega, dv * sin + speed * cos * omega), axis=-1)

    # Position ----------------------------------------------------------------------------------------------------

    def _integrate_positions(self, grid: np.ndarray) -> np.ndarray:
        """(N, 2) positions on the grid, 0 at t = 0, by trapezoids with the Euler-Maclaurin end correction."""
        velocity, acceleration = self._grid_velocity, self._acceleration_xy(grid)
        step = np.diff(grid)[:, None]
        pieces = 0.5 * step * (velocity[1:] + velocity[:-1]) + step**2 / 12.0 * (acceleration[:-1] - acceleration[1:])
        positions = np.concatenate((np.zeros((1, 2)), np.cumsum(pieces, axis=0)))
        origin = self._hermite(grid, positions, velocity, np.zeros(1))
        return positions - origin

    @staticmethod
    def _hermite(grid: np.ndarray, positions: np.ndarray, velocity: np.ndarray, t: np.ndarray) -> np.ndarray:
        index = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, len(grid) - 2)
        step = grid[index + 1] - grid[index]
        s = ((t - grid[index]) / step)[:, None]
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        return (
            h00 * positions[index]
            + h10 * step[:, None] * velocity[index]
            + h01 * positions[index + 1]
            + h11 * step[:, None] * velocity[index + 1]
        )

    def positions(self, times: np.ndarray) -> np.ndarray:
        """(N, 2) base_link x, y in odom at `times` (N,), anywhere in [start, end]."""
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        self._check_times(times, self.start, self.end)
        return self._hermite(self._grid, self._grid_xy, self._grid_velocity, times)

    def _check_times(self, times: np.ndarray, low: float, high: float) -> None:
        bad = ~((times >= low - _TIME_SLACK_S) & (times <= high + _TIME_SLACK_S))
        if bad.any():
            raise SimulationError(f"time {float(times[bad][0])} s is outside the trajectory [{low:.3f}, {high:.3f}] s")

    # Public queries ------------------------------------------------------------------------------------------------

    def base_poses(self, times: np.ndarray) -> np.ndarray:
        """(N, 4, 4) float64 odom_from_base at `times` (N,) in [0, end_of_drive]."""
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        self._check_times(times, 0.0, self.end_of_drive)
        return self._planar_poses(times)

    def _planar_poses(self, times: np.ndarray) -> np.ndarray:
        xy, heading = self.positions(times), self.heading(times)
        poses = np.zeros((len(times), 4, 4))
        cos, sin = np.cos(heading), np.sin(heading)
        poses[:, 0, 0], poses[:, 0, 1], poses[:, 1, 0], poses[:, 1, 1] = cos, -sin, sin, cos
        poses[:, 2, 2] = poses[:, 3, 3] = 1.0
        poses[:, :2, 3] = xy
        return poses

    def base_twists(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear (N, 3) and angular (N, 3) velocity of base_link, expressed in base_link, at `times` (N,)."""
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        self._check_times(times, 0.0, self.end_of_drive)
        linear, angular = np.zeros((len(times), 3)), np.zeros((len(times), 3))
        linear[:, 0] = self.speed(times)
        angular[:, 2] = self.yaw_rate(times)
        return linear, angular

    def path_samples(self, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The whole path [start, end] at uniform arc-length `spacing`: s (N,), xy (N, 2), heading (N,)."""
        distance = self.distance(self._grid)
        stations = np.arange(distance[0], distance[-1], spacing)
        # s(t) is strictly increasing (v > 0); invert it on the fine grid, then evaluate the path exactly there.
        times = np.interp(stations, distance, self._grid)
        return stations, self.positions(times), self.heading(times)
