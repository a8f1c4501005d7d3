"""Pose network, SAG scale stream, adaptive-scaling scale CNN: shapes, ranges, gradients."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.models import PoseNetwork, ScaleCNN, ScaleStream
from mono_depth_ros.core.shapes import ShapeError


def test_pose_network_outputs_a_small_rigid_motion():
    network = PoseNetwork(18).eval()
    a, b = torch.rand(2, 3, 64, 96), torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        pose = network(a, b)
    assert pose.axis_angle.shape == (2, 3)
    assert pose.translation.shape == (2, 3)
    transform = pose.transform()
    assert transform.shape == (2, 4, 4)
    rotation = transform[:, :3, :3]
    torch.testing.assert_close(rotation @ rotation.transpose(1, 2), torch.eye(3).expand(2, 3, 3), atol=1e-5, rtol=0)
    # Outputs are scaled by 0.01, so an untrained network starts close to the identity motion.
    assert pose.axis_angle.abs().max() < 0.5
    assert pose.translation.abs().max() < 0.5


def test_pose_network_frame_order_matters_and_gradients_flow():
    network = PoseNetwork(18)
    a, b = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    forward, backward = network(a, b), network(b, a)
    assert not torch.equal(forward.translation, backward.translation)
    (forward.translation.sum() + forward.axis_angle.sum()).backward()
    assert network.encoder.conv1.weight.grad.abs().sum() > 0


def test_pose_network_frames_must_match():
    with pytest.raises(ShapeError, match=r"second must have shape \(B, 3, H, W\) with H=64"):
        PoseNetwork(18)(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 32, 64))


def test_scale_stream_gives_one_positive_scale_per_image_within_range():
    stream = ScaleStream(512, scale_range=3.0)
    mu = stream(torch.randn(4, 512, 2, 3))
    assert mu.shape == (4,)
    assert ((mu > 0) & (mu < 3.0)).all()
    mu.sum().backward()
    assert stream.convs[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("size", [(32, 32), (96, 320), (375, 1242)])
def test_scale_cnn_takes_any_image_size(size):
    network = ScaleCNN((64, 192)).eval()
    with torch.no_grad():
        log_scale = network(torch.rand(2, 3, *size))
    assert log_scale.shape == (2,)
    assert torch.isfinite(log_scale).all()


def test_scale_cnn_architecture_and_gradients():
    network = ScaleCNN((64, 192))
    convs = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in network.modules() if isinstance(m, torch.nn.Linear)]
    assert [c.out_channels for c in convs] == [64, 128]
    assert [linear.out_features for linear in linears] == [512, 1]
    network(torch.rand(3, 3, 64, 192)).sum().backward()
    assert convs[0].weight.grad.abs().sum() > 0
    with pytest.raises(ShapeError, match=r"images must have shape \(B, 3, H, W\), got \(3, 64, 192\)"):
        network(torch.rand(3, 64, 192))
