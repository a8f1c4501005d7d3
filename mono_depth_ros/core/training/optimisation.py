"""Optimisation: Adam with a step schedule, mixed precision on CUDA, and one training step (`TrainingStep`).

Mixed precision: on CUDA the networks run under autocast, bf16 where the GPU supports it (no loss scaling needed),
else fp16 with a `GradScaler`; the losses are computed in float32. On the CPU everything is float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from mono_depth_ros.core.models import Networks
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import TrainingBatch
from mono_depth_ros.core.training.errors import TrainingError
from mono_depth_ros.core.training.objective import LossTerms, Objective

__all__ = [
    "Precision",
    "TrainingStep",
    "build_optimiser",
    "build_scheduler",
    "flush_denormals_on_cpu",
    "trainable_parameters",
    "use_channels_last",
]


@dataclass(frozen=True)
class Precision:
    """How the networks run: `dtype` None is float32; bf16/fp16 autocast on CUDA only."""

    dtype: torch.dtype | None
    device: torch.device

    @classmethod
    def choose(cls, amp: bool, device: torch.device) -> Precision:
        if not amp or device.type != "cuda":
            return cls(None, device)
        return cls(torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16, device)

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.dtype):
            yield


def flush_denormals_on_cpu(device: torch.device) -> None:
    """On the CPU, treat denormal floats (below 1.2e-38) as zero: x86 computes them on a slow path, and gradients of
    a converging network are full of them (a 640x192 step measured ~5 % faster). A process-wide setting; CUDA
    kernels flush denormals already."""
    if device.type == "cpu":
        torch.set_flush_denormal(True)


def use_channels_last(config: TrainingConfig, device: torch.device) -> bool:
    """channels_last pays off with cuDNN; on the CPU the contiguous layout measured faster for these networks."""
    return config.channels_last and device.type == "cuda"


def trainable_parameters(networks: Networks, config: TrainingConfig) -> list[nn.Parameter]:
    """The depth (and pose) networks' parameters that train: the depth encoder's are left out when frozen."""
    parameters = []
    for name, module in networks.modules().items():
        if name == "scale_cnn":
            continue  # trained in its own phase (adaptive scaling)
        for parameter_name, parameter in module.named_parameters():
            frozen = config.freeze_encoder and name == "depth" and parameter_name.startswith("encoder.")
            parameter.requires_grad_(not frozen)
            if not frozen:
                parameters.append(parameter)
    return parameters


def build_optimiser(parameters: list[nn.Parameter], config: TrainingConfig) -> torch.optim.Adam:
    """Adam; the fused implementation (one kernel over all parameters: ~7x faster than the default on a CPU)
    where every parameter is a floating-point tensor on a CPU or CUDA device."""
    fused = bool(parameters) and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in parameters)
    return torch.optim.Adam(parameters, lr=config.learning_rate, weight_decay=config.weight_decay, fused=fused or None)


def build_scheduler(optimiser: torch.optim.Optimizer, config: TrainingConfig) -> torch.optim.lr_scheduler.StepLR:
    """The learning rate times lr_gamma every lr_step_size steps (stepped once per training step)."""
    return torch.optim.lr_scheduler.StepLR(optimiser, step_size=config.lr_step_size, gamma=config.lr_gamma)


class TrainingStep:
    """Forward, loss, backward and update for one batch (the trainer's inner loop and the step benchmark)."""

    def __init__(
        self,
        objective: Objective,
        optimiser: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        precision: Precision,
        *,
        before_update: Callable[[], None] | None = None,
    ) -> None:
        self.objective = objective
        self.optimiser = optimiser
        self.scheduler = scheduler
        self.precision = precision
        self.scaler = torch.amp.GradScaler(precision.device.type, enabled=precision.dtype is torch.float16)
        self.before_update = before_update

    def __call__(self, batch: TrainingBatch, generator: torch.Generator | None = None) -> LossTerms:
        """One update; returns the loss terms (tensors: reading them synchronises, so log sparingly)."""
        self.optimiser.zero_grad(set_to_none=True)
        terms = self.objective(batch, self.precision.autocast, generator=generator)
        self.scaler.scale(terms.total).backward()
        if self.before_update is not None:
            self.before_update()
        self.scaler.step(self.optimiser)
        self.scaler.update()
        self.scheduler.step()
        return terms

    @property
    def learning_rate(self) -> float:
        return float(self.optimiser.param_groups[0]["lr"])

    def check_finite(self, value: float, step: int) -> None:
        if not torch.isfinite(torch.tensor(value)):
            raise TrainingError(
                f"the loss became {value} at step {step}: lower learning_rate (now {self.learning_rate:g}) or check "
                "the data"
            )
