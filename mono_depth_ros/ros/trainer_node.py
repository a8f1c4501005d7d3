"""trainer_node: fine-tunes the depth network on recorded bags, as `mono-depth-ros train --bag` does, inside a ROS
graph (shared/DESIGN.md section 4).

Out: `/diagnostics` (diagnostic_msgs/DiagnosticArray, twice a second, and at once when training starts and ends:
preparing with the frames decoded so far, training with step, epoch, every loss term, steps/s, ETA, learning rate
and the last validation, then finished, stopped or error) and `trained_checkpoint` (std_msgs/String, reliable +
transient local: the path of every checkpoint written, so a late subscriber still gets the newest).

A thin adapter: the parameters become `TrainerSettings` (trainer_config), checked at start-up (a bad value stops the
node with one line naming it); a worker thread then runs `prepare_bag_training` and `Trainer.run`, so the executor
keeps spinning (diagnostics, parameter services) while it trains. On shutdown (SIGINT, SIGTERM) the trainer is asked
to stop: it saves a checkpoint after the current step, whose path is published before the node goes. A data or
configuration error of the run is logged once and shown as an ERROR diagnostic; the node stays up so that the
error stays visible. When training finishes, `on_done` is called if `exit_when_done` is true: the entry point ends
the process like a batch job.
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.duration import Duration
from rclpy.node import Node
from std_msgs.msg import String

from mono_depth_ros.core.training.trainer import Progress, Trainer, TrainingResult
from mono_depth_ros.data.training.job import prepare_bag_training
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.ros.diagnostics import DiagnosticLevel, diagnostic_array, diagnostics_timer
from mono_depth_ros.ros.parameters import ParameterGuard, ParameterValue, declare_parameters
from mono_depth_ros.ros.qos import latched_qos, reliable_qos
from mono_depth_ros.ros.trainer_config import RUNTIME_PARAMETERS, TRAINER_PARAMETERS, TrainerSettings

__all__ = ["DIAGNOSTICS_PERIOD_S", "TrainerNode", "TrainingStatus", "make_trainer_node"]

DIAGNOSTICS_PERIOD_S = 0.5
"""Half the 1 s the contract asks for: a late timer tick (a busy CPU) still keeps the rate at 1 Hz or more."""
STOP_TIMEOUT_S = 600.0
"""How long shutdown waits for the current step and the checkpoint after it before leaving without them (under
ros2 launch, train.launch.py allows 2 x STOP_GRACE_S before SIGKILL)."""
ACK_TIMEOUT_S = 5.0
"""How long shutdown waits for subscribers to acknowledge the last checkpoint path."""
_PHASES = {"validate": "validating", "validate_loss": "validating", "scale_cnn": "fitting the scale CNN"}


class _StopRequestedError(Exception):
    """Raised from the data-progress callback to end the decoding of the bags when the node stops."""


class TrainingStatus:
    """The latest state of the run, updated by the worker thread and read by the diagnostics timer (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = "starting"
        self.detail = ""
        self.values: dict[str, object] = {}

    def update(self, state: str | None = None, detail: str | None = None, **values: object) -> None:
        with self._lock:
            self.state = self.state if state is None else state
            self.detail = self.detail if detail is None else detail
            self.values.update(values)

    def on_progress(self, progress: Progress) -> None:
        """A `Progress` report: a step's numbers, a validation, or the scale CNN's fitting."""
        values: dict[str, object] = {"phase": progress.phase, "step": progress.step, "epoch": progress.epoch}
        if progress.phase == "train":
            values.update(
                max_steps=progress.max_steps, steps_per_second=progress.steps_per_second,
                eta_s=progress.eta_seconds, learning_rate=progress.learning_rate,
                **{f"loss_{name}": value for name, value in progress.terms.items()},
            )  # fmt: skip
        elif progress.phase == "validate_loss":
            values.update({f"validation_loss_{name}": value for name, value in progress.terms.items()})
        elif progress.phase == "validate" and progress.validation is not None:
            result = progress.validation
            values.update(
                validation_step=result.step, validation_abs_rel_median=result.abs_rel_median,
                validation_abs_rel_metric=result.abs_rel_metric, validation_scale_ratio=result.median_ratio,
            )  # fmt: skip
        else:
            values.update(progress.terms)
        what = f"step {progress.step}/{progress.max_steps}"
        if progress.phase != "train":
            what = f"{_PHASES.get(progress.phase, progress.phase)} at {what}"
        self.update("training", what, **values)

    def snapshot(self) -> tuple[str, str, dict[str, object]]:
        with self._lock:
            return self.state, self.detail, {"state": self.state, **self.values}


class TrainerNode(Node):
    """The trainer node; `on_done` is called (from the worker thread) when training finishes and `exit_when_done`
    is true; `**node_options` go to rclpy's Node (context, parameter_overrides, ...)."""

    def __init__(
        self, name: str = "trainer_node", *, on_done: Callable[[], None] | None = None, **node_options: object
    ) -> None:
        super().__init__(name, **node_options)
        self.settings = TrainerSettings.from_values(declare_parameters(self, TRAINER_PARAMETERS))
        self._selection = self.settings.selection()
        self._config, notes = self.settings.training_config()
        for note in notes:
            self.get_logger().warning(note)
        self._on_done = on_done
        self.status = TrainingStatus()
        self.status.update(
            bags=len(self._selection.bags), mode=self._config.mode.value, output_dir=self.settings.output_dir
        )
        self.checkpoints: list[Path] = []
        self._decoded: dict[str, int] = {}
        self.result: TrainingResult | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._trainer: Trainer | None = None
        self._checkpoint_pub = self.create_publisher(String, "trained_checkpoint", latched_qos())
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", reliable_qos())
        self._guard = ParameterGuard(self, TRAINER_PARAMETERS, self._apply)
        diagnostics_timer(self, self.publish_diagnostics, DIAGNOSTICS_PERIOD_S)
        self.worker = threading.Thread(target=self._train, name=f"{name}-train", daemon=True)
        self.worker.start()

    def _apply(self, changes: dict[str, ParameterValue]) -> str | None:
        """Only `exit_when_done` may change: training started with the others (see trainer_config)."""
        for key, value in changes.items():
            if key not in RUNTIME_PARAMETERS and value != _plain(getattr(self.settings, key)):
                return (
                    f"parameter {key!r} cannot change to {value!r} while trainer_node runs (training started with "
                    f"{_plain(getattr(self.settings, key))!r}): restart the node with the new value"
                )
        self.settings = replace(self.settings, **changes)  # each value checked against its spec already
        return None

    def stop_training(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Ask the run to stop (it saves a checkpoint after the current step) and wait for it; whether it ended."""
        with self._lock:
            self._stopping = True
            trainer = self._trainer
        if trainer is not None:
            trainer.request_stop()
        if self.worker.is_alive() and threading.current_thread() is not self.worker:
            if trainer is not None and self.result is None:
                self.get_logger().info("stopping: saving a checkpoint after the current step")
            self.worker.join(timeout_s)
        return not self.worker.is_alive()

    def destroy_node(self) -> None:
        if not self.stop_training():
            self.get_logger().error(f"training did not stop within {STOP_TIMEOUT_S:.0f} s; leaving it unsaved")
        if self.checkpoints:  # the last path reaches the subscribers before the node goes
            self._checkpoint_pub.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S))
        super().destroy_node()

    # The worker thread -----------------------------------------------------------------------------------------

    def _train(self) -> None:
        try:
            self.status.update("preparing", "decoding the bags", frames_decoded=0)
            trainer, data = prepare_bag_training(
                self._config, self._selection, self.settings.output_path, progress=self.status.on_progress,
                on_checkpoint=self._on_checkpoint, data_progress=self._on_data,
            )  # fmt: skip
            self.get_logger().info(data.summary.format())
            self.status.update(
                "training", "building the networks", training_windows=data.summary.training_windows,
                validation_windows=data.summary.validation_windows,
            )  # fmt: skip
            with self._lock:
                if self._stopping:
                    raise _StopRequestedError
                self._trainer = trainer
            self.publish_diagnostics()
            self.result = result = trainer.run()
        except _StopRequestedError:
            self.status.update("stopped", "before training started")
        except Exception as exc:  # a run that fails is reported; the node stays up to show it
            message = str(exc) if isinstance(exc, MonoDepthError) else f"{type(exc).__name__}: {exc}"
            self.status.update("error", message)
            details = "" if isinstance(exc, MonoDepthError) else "\n" + traceback.format_exc()
            self.get_logger().error(f"training failed: {message}{details}")
        else:
            state = "stopped" if result.stopped else "finished"
            self.status.update(
                state, f"step {result.step}, checkpoint {result.checkpoint}", step=result.step,
                epoch=result.epoch, last_checkpoint=result.checkpoint,
            )  # fmt: skip
            self.get_logger().info(f"training {state} at step {result.step}: {result.checkpoint}")
        self.publish_diagnostics()
        finished = self.result is not None and not self.result.stopped
        if finished and self.settings.exit_when_done and self._on_done is not None:
            self._on_done()

    def _on_data(self, what: str, done: int, total: int) -> None:
        if self._stopping:
            raise _StopRequestedError
        self._decoded[what] = done  # per bag and topic
        self.status.update("preparing", f"decoding {what}: {done} frames", frames_decoded=sum(self._decoded.values()))

    def _on_checkpoint(self, path: Path) -> None:
        self.checkpoints.append(path)
        self._checkpoint_pub.publish(String(data=str(path)))
        self.status.update(checkpoints_written=len(self.checkpoints), last_checkpoint=path)

    def publish_diagnostics(self) -> None:
        state, detail, values = self.status.snapshot()
        level = DiagnosticLevel.ERROR if state == "error" else DiagnosticLevel.OK
        message = f"{state}: {detail}" if detail else state
        self._diagnostics_pub.publish(diagnostic_array(self, f"{self.get_name()}: training", level, message, values))


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _interrupt_this_process() -> None:
    """What SIGINT does: `run_node` ends the spin, destroys the node and exits 0 (a finished batch job)."""
    os.kill(os.getpid(), signal.SIGINT)


def make_trainer_node(args: list[str] | None = None) -> TrainerNode:
    """The node factory for `run_node` (parameters come from the --ros-args rclpy.init parsed); the process ends
    when training finishes if `exit_when_done` is true."""
    del args
    return TrainerNode(on_done=_interrupt_this_process)
