"""Device strings and precision fall-back."""

from __future__ import annotations

import re

import pytest
import torch

from mono_depth_ros.core.inference import DeviceError, InferenceConfigError, effective_precision, resolve_device

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the behaviour without CUDA")


def test_auto_and_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device() == resolve_device("auto")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(" cpu ") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("spec", ["gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "", "mps", 0, None])
def test_malformed_devices_are_named(spec: object) -> None:
    with pytest.raises(DeviceError, match=re.escape(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")):
        resolve_device(spec)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["cpu:0", "auto:1"])
def test_indices_only_for_cuda(spec: str) -> None:
    with pytest.raises(DeviceError, match=re.escape(f"device {spec!r} takes no index")):
        resolve_device(spec)


@NO_CUDA
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_cuda_is_an_error_naming_the_value(spec: str) -> None:
    with pytest.raises(DeviceError, match=re.escape(f"device {spec!r} asks for CUDA, but this machine has none")):
        resolve_device(spec)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_devices() -> None:
    assert resolve_device("cuda").type == "cuda"
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    count = torch.cuda.device_count()
    with pytest.raises(DeviceError, match=f"this machine has {count} CUDA device"):
        resolve_device(f"cuda:{count}")


def test_precision_falls_back_on_the_cpu_only() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda", 0)
    assert effective_precision("fp32", cpu) == ("fp32", None)
    assert effective_precision("bf16", cpu) == ("fp32", "precision bf16 needs CUDA; running fp32 on cpu")
    assert effective_precision("fp16", cuda) == ("fp16", None)
    with pytest.raises(InferenceConfigError, match="precision must be one of fp32, fp16, bf16, got 'half'"):
        effective_precision("half", cpu)
    assert issubclass(DeviceError, InferenceConfigError)
