"""Multi-GPU / multi-node training under `torchrun`: the process group from its environment, DDP wrapping, the
per-rank share of each epoch, and rank-0-only I/O.

    torchrun --nproc_per_node 2 -m mono_depth_ros.cli train --synthetic ...     (gloo on CPUs, NCCL on GPUs)

Without torchrun's variables (WORLD_SIZE unset or 1) everything here is the single-process identity. Each rank
builds the same data (same seeds) and draws its own share of every epoch from a `DistributedSampler` seeded with the
run's seed, so the order is a function of (seed, epoch) and a resumed run sees the same batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data.distributed import DistributedSampler

from mono_depth_ros.core.training.errors import TrainingConfigError

__all__ = [
    "DistributedContext",
    "barrier",
    "epoch_indices",
    "init_distributed",
    "shutdown_distributed",
    "unwrap",
    "wrap_ddp",
]


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in the run."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    backend: str | None = None
    """nccl, gloo, or None when not distributed."""
    owns_group: bool = False
    """Whether this context initialised the process group (and so tears it down)."""

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints and logs, validates and reports progress."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise TrainingConfigError(
            f"environment variable {name} must be an integer (set by torchrun), got {text!r}"
        ) from None


def init_distributed(device: torch.device) -> tuple[DistributedContext, torch.device]:
    """The context from torchrun's RANK / LOCAL_RANK / WORLD_SIZE, and the device this rank trains on.

    NCCL when training on CUDA (each rank on cuda:LOCAL_RANK), gloo on the CPU. A process group that is already
    initialised (by the caller) is used as it is.
    """
    world_size = _env_int("WORLD_SIZE", 1)
    if world_size <= 1 and not dist.is_initialized():
        return DistributedContext(), device
    local_rank = _env_int("LOCAL_RANK", 0)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(device)
    owns = False
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=timedelta(minutes=60))
        owns = True
    return (
        DistributedContext(dist.get_rank(), local_rank, dist.get_world_size(), dist.get_backend(), owns),
        device,
    )


def shutdown_distributed(context: DistributedContext) -> None:
    if context.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def barrier(context: DistributedContext) -> None:
    if context.distributed:
        dist.barrier()


def any_rank(context: DistributedContext, flag: bool, device: torch.device) -> bool:
    """Whether `flag` is True on any rank (a stop request seen by one rank stops all)."""
    if not context.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def broadcast_float(context: DistributedContext, value: float, device: torch.device) -> float:
    """Rank 0's `value` on every rank."""
    if not context.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


def wrap_ddp(module: nn.Module, context: DistributedContext, device: torch.device) -> nn.Module:
    """`module` wrapped in DistributedDataParallel when distributed (the module itself otherwise)."""
    if not context.distributed or not any(p.requires_grad for p in module.parameters()):
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, broadcast_buffers=True)


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper (the module itself otherwise)."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def epoch_indices(length: int, epoch: int, seed: int, context: DistributedContext) -> list[int]:
    """This rank's shuffled sample indices for `epoch` (every rank gets the same count; the tail is dropped)."""
    sampler = DistributedSampler(
        range(length),  # type: ignore[arg-type]  # only len() is used
        num_replicas=context.world_size,
        rank=context.rank,
        shuffle=True,
        seed=seed,
        drop_last=True,
    )
    sampler.set_epoch(epoch)
    return list(sampler)
