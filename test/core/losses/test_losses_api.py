"""The public loss API: every exported name exists once and is the defining object; errors are typed."""

from __future__ import annotations

import mono_depth_ros.core.losses as losses
from mono_depth_ros.errors import MonoDepthError


def test_every_exported_name_exists_once() -> None:
    assert len(set(losses.__all__)) == len(losses.__all__)
    missing = [name for name in losses.__all__ if not hasattr(losses, name)]
    assert missing == []


def test_exports_are_the_defining_objects() -> None:
    from mono_depth_ros.core.losses import photometric, reprojection, sag, smoothness, stereo

    assert losses.ssim is photometric.ssim
    assert losses.minimum_reprojection is reprojection.minimum_reprojection
    assert losses.edge_aware_smoothness is smoothness.edge_aware_smoothness
    assert losses.siamese_stereo_loss is stereo.siamese_stereo_loss
    assert losses.sag_loss is sag.sag_loss


def test_errors_derive_from_the_package_root() -> None:
    from mono_depth_ros.core.shapes import ShapeError

    assert issubclass(losses.LossError, MonoDepthError)
    assert issubclass(losses.LossError, ValueError)
    assert losses.ShapeError is ShapeError


def test_paper_constants() -> None:
    assert losses.SSIM_ALPHA == 0.85
    assert losses.AUTOMASK_TIE_BREAK == 1e-5
    assert losses.SMOOTHNESS_WEIGHT == 1e-3
    assert losses.SAG_WEIGHT == 0.05
    assert (losses.BOX_WINDOW_SIZE, losses.GAUSSIAN_WINDOW_SIZE, losses.GAUSSIAN_SIGMA) == (3, 11, 1.5)
