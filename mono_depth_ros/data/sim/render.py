"""The renderer: visibility (`raycast`), then one shading pass over all pixels.

Shading is deferred: after the z-buffer has chosen the nearest surface of every pixel, each pixel reads the
attributes of its row span (or the ground's, or the sky's) from a per-span table, builds its texture coordinates and
footprint, and the noise for *all* pixels is evaluated by a single call. Lighting is Lambertian (a directional sun
plus ambient, no shadows); distant surfaces fade into the horizon colour (fog), and the sky is a gradient with faint
clouds that depends on the ray direction only (it lies at infinity).
"""

from __future__ import annotations

import numpy as np
import torch

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.data.sim.camera import LevelCamera, RayTables
from mono_depth_ros.data.sim.primitives import Material, Shape
from mono_depth_ros.data.sim.raycast import Hits, Spans, cast_rays
from mono_depth_ros.data.sim.textures import MATERIAL_CONTRAST, NOISE_PERIOD_M, pulse_coverage
from mono_depth_ros.data.sim.world import Scene

__all__ = ["render"]

_HORIZON = np.array([0.74, 0.80, 0.86])
_ZENITH = np.array([0.30, 0.48, 0.78])
_GLASS = (0.20, 0.24, 0.30)
_CLOUD_HEIGHT_M = 800.0
_GROUND_SEARCH_BEHIND_M = 50.0
_GROUND_SEARCH_AHEAD_M = 700.0
# Rows of the per-span attribute table: albedo (3), sun's Lambert factor, noise contrast, windows (pitch and width
# across, pitch and width up), texture u = U + t V, texture v = P + t (Q + R b), footprint (G, K: t max(G, K / |b|);
# G across the face alone).
_COLOUR, _LAMBERT, _CONTRAST, _WINDOWS, _TU, _TV, _FOOTPRINT, _COLUMNS = 0, 3, 4, 5, 9, 11, 14, 17


def render(
    scene: Scene, odom_from_camera: np.ndarray, intrinsics: PinholeIntrinsics, device: torch.device | str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Render one view of `scene`.

    Args:
        scene: the world (see `world.build_scene`).
        odom_from_camera: (4, 4) pose of a level optical frame (x right, y down, z forward) in odom.
        intrinsics: the pinhole camera; any size.
        device: where the per-pixel work runs.

    Returns:
        rgb (H, W, 3) uint8 and depth (H, W) float32: z-depth in metres, +inf where the ray sees the sky.
    """
    device = torch.device(device)
    camera = LevelCamera.from_pose(odom_from_camera)
    rays = _ray_tables(scene, intrinsics, device)
    with torch.inference_mode():
        hits = cast_rays(scene.prisms, camera, rays, scene.draw_distance)
        rgb = _shade(scene, camera, rays, hits)
        return rgb.cpu().numpy(), hits.depth.cpu().numpy()


def _ray_tables(scene: Scene, intrinsics: PinholeIntrinsics, device: torch.device) -> RayTables:
    key = ("rays", intrinsics, device)
    rays = scene.cache.get(key)
    if rays is None:
        rays = scene.cache[key] = RayTables(intrinsics, device)
    return rays


def _shade(scene: Scene, camera: LevelCamera, rays: RayTables, hits: Hits) -> torch.Tensor:
    """(H, W, 3) uint8 colours of the hits."""
    intrinsics = rays.intrinsics
    height, width = intrinsics.height, intrinsics.width
    device = rays.device
    depth = hits.depth
    finite = depth < float("inf")  # depths are never NaN
    t = torch.where(finite, depth, torch.zeros((), device=device))
    b = rays.b_torch[:, None]
    table = torch.from_numpy(_span_table(scene, camera, rays, hits.spans)).to(device)
    span = torch.gather(table, 1, hits.span.reshape(1, -1).expand(_COLUMNS, -1)).view(_COLUMNS, height, width)

    # Surface coordinates (along the surface, and up or across it) and footprint of every pixel.
    tex_u = torch.addcmul(span[_TU], t, span[_TU + 1])
    tex_v = torch.addcmul(span[_TV], t, torch.addcmul(span[_TV + 1], span[_TV + 2], b))
    footprint = t * torch.maximum(span[_FOOTPRINT], span[_FOOTPRINT + 1] / b.abs())
    windows = _window_coverage(span, tex_u, tex_v, t, intrinsics.fy)
    contrast = span[_CONTRAST]
    albedo = span[_COLOUR : _COLOUR + 3]
    lighting = scene.lighting
    ambient, sun = (
        torch.from_numpy(c.astype(np.float32)).to(device)[:, None, None]
        for c in (lighting.ambient_colour, lighting.sun_colour)
    )
    light = torch.addcmul(ambient, span[_LAMBERT][None], sun)

    # The ground: only pixels below the horizon can see it; shade just those that do and write them back.
    horizon = int(np.searchsorted(rays.b, 0.0, side="right"))
    low = slice(horizon, height)
    ground = ((hits.span[low] == len(hits.spans)) & finite[low]).view(-1).nonzero().squeeze(1)
    if len(ground):
        pixels = ground + horizon * width
        ground_u, ground_v, ground_footprint, ground_albedo, ground_contrast = _ground(
            scene, camera, rays, t.view(-1).index_select(0, pixels), ground % width
        )
        tex_u.view(-1).index_copy_(0, pixels, ground_u)
        tex_v.view(-1).index_copy_(0, pixels, ground_v)
        footprint.view(-1).index_copy_(0, pixels, ground_footprint)
        contrast.view(-1).index_copy_(0, pixels, ground_contrast)
        albedo.view(3, -1).index_copy_(1, pixels, ground_albedo)

    # The sky, in the rows above the horizon where nothing was hit.
    high = slice(0, horizon)
    sky = ~finite[high]
    sky_colour, cloud_u, cloud_v, cloud_footprint = _sky(scene, camera, rays, horizon)
    tex_u[high] = torch.where(sky, cloud_u, tex_u[high])
    tex_v[high] = torch.where(sky, cloud_v, tex_v[high])
    footprint[high] = torch.where(sky, cloud_footprint, footprint[high])

    coordinates = torch.stack((tex_u, tex_v), dim=-1).view(-1, 2)
    noise = scene.noise.fbm(coordinates, footprint.view(-1)).view(3, height, width)
    glass = torch.tensor(_GLASS, device=device)[:, None, None]
    surface = torch.lerp(albedo * (1.0 + contrast * noise), glass * (1.0 + 0.9 * noise), windows)
    colour = surface * light

    # Fog towards the horizon colour over the Euclidean distance; the sky has its own colour and clouds.
    fog = torch.exp(t * rays.fog_rate(scene.fog_distance))
    horizon_colour = torch.from_numpy(_HORIZON.astype(np.float32)).to(device)[:, None, None]
    colour = torch.lerp(horizon_colour, colour, fog)
    cloud = (noise[:, high].mean(0) * 1.2 + 0.1).clamp_(0.0, 1.0) * 0.6
    colour[:, high] = torch.where(
        sky, torch.lerp(sky_colour, torch.full_like(sky_colour, 0.97), cloud), colour[:, high]
    )
    return (colour.clamp_(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).contiguous()


def _span_table(scene: Scene, camera: LevelCamera, rays: RayTables, spans: Spans) -> np.ndarray:
    """(_COLUMNS, S + 1) float32 shading attributes per span; the last column stands for the ground and the sky."""
    intrinsics = rays.intrinsics
    prisms, lighting = scene.prisms, scene.lighting
    count = len(spans)
    table = np.zeros((_COLUMNS, count + 1), np.float32)
    table[_WINDOWS, -1] = table[_WINDOWS + 2, -1] = 1.0  # harmless pitches, zero widths
    table[_FOOTPRINT, -1] = 1.0 / intrinsics.fx
    table[_LAMBERT, -1] = max(lighting.sun_direction[2], 0.0)  # the ground faces up (the sky ignores light)
    if count == 0:
        return table
    prism = spans.prism
    is_cap = spans.is_cap
    side = ~is_cap
    # Lambert: side normals are horizontal (camera x, z -> world xy); caps face straight up or down.
    normal_world = spans.normal[:, :1] * camera.right + spans.normal[:, 1:] * camera.forward
    lambert = np.where(side, normal_world @ lighting.sun_direction[:2], 0.0)
    lambert = np.where(is_cap & (spans.cap_height > 0), lighting.sun_direction[2], lambert)
    table[_LAMBERT, :count] = np.maximum(lambert, 0.0)
    table[_COLOUR : _COLOUR + 3, :count] = prisms.colour[prism].T
    contrast = np.array([MATERIAL_CONTRAST[Material(m)] for m in range(len(Material))])
    table[_CONTRAST, :count] = contrast[prisms.material[prism]]

    # Window grid: pitch and width across the face and up; none on caps and on other materials.
    windows = prisms.windows[prism]
    width_u = np.where(is_cap, 0.0, windows[:, 1])
    table[_WINDOWS, :count] = np.where(width_u > 0, windows[:, 0], 1.0)
    table[_WINDOWS + 1, :count] = width_u
    table[_WINDOWS + 2, :count] = np.where(windows[:, 4] > 0, windows[:, 3], 1.0)
    table[_WINDOWS + 3, :count] = windows[:, 4]

    # Texture coordinates: sides run along the face (u) and up (world z); caps use the prism's local axes. The
    # random per-prism noise offset and the windows' phases are folded into the constant terms.
    local = spans.entry_depth[:, None] * spans.axis_rate - spans.axis_offset
    half = prisms.half_size[prism]
    on_u_face = np.abs(local[:, 0]) / half[:, 0] >= np.abs(local[:, 1]) / half[:, 1]
    along_face = np.where(on_u_face, local[:, 1], local[:, 0])
    cylinder = prisms.shape[prism] == Shape.CYLINDER
    along_face = np.where(cylinder, half[:, 0] * _pseudo_angle(local[:, 0], local[:, 1]), along_face)
    shift_u = prisms.texture_offset[prism, 0] - windows[:, 2]
    table[_TU, :count] = np.where(side, along_face, -spans.axis_offset[:, 0]) + shift_u
    table[_TU + 1, :count] = np.where(side, 0.0, spans.axis_rate[:, 0])
    table[_TV, :count] = np.where(side, camera.height - windows[:, 5], -spans.axis_offset[:, 1])
    table[_TV + 1, :count] = np.where(side, 0.0, spans.axis_rate[:, 1])
    table[_TV + 2, :count] = np.where(side, -1.0, 0.0)

    # Footprint = t * max(G, K / |b|): sides are vertical (t / (fx |n . (a, 1)|) across, t / fy up); caps are
    # horizontal planes, seen like the ground.
    a = rays.a[spans.column]
    facing = np.maximum(np.abs(spans.normal[:, 0] * a + spans.normal[:, 1]), 0.02)
    across = 1.0 / (intrinsics.fx * facing)
    table[_FOOTPRINT, :count] = np.where(side, np.maximum(across, 1.0 / intrinsics.fy), 1.0 / intrinsics.fx)
    table[_FOOTPRINT + 1, :count] = np.where(side, 0.0, 1.0 / intrinsics.fy)
    table[_FOOTPRINT + 2, :count] = np.where(side, across, 1.0 / intrinsics.fx)
    return table


def _pseudo_angle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A continuous, monotonic stand-in for atan2(y, x) in [0, 2 pi) ("diamond angle"), cheap and exact enough for
    texture coordinates around a cylinder."""
    total = np.abs(x) + np.abs(y) + 1e-12
    ratio = y / total
    angle = np.where(x >= 0, np.where(y >= 0, ratio, 4.0 + ratio), 2.0 - ratio)
    return angle * (0.5 * np.pi)


def _window_coverage(
    span: torch.Tensor, along: torch.Tensor, up: torch.Tensor, t: torch.Tensor, fy: float
) -> torch.Tensor:
    """(H, W) fraction of each pixel covered by window glass: a box-filtered grid on facades' side faces."""
    across = pulse_coverage(along, t * span[_FOOTPRINT + 2] + 1e-6, span[_WINDOWS], span[_WINDOWS + 1])
    upward = pulse_coverage(up, t * (1.0 / fy) + 1e-6, span[_WINDOWS + 2], span[_WINDOWS + 3])
    return across * upward


def _ground(
    scene: Scene, camera: LevelCamera, rays: RayTables, t: torch.Tensor, column: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noise coordinates u, v (N,), footprint (N,), albedo (3, N) and noise contrast (N,) of N ground pixels, given
    their z-depth t (N,) and image column (N,)."""
    intrinsics, path, device = rays.intrinsics, scene.path, rays.device
    # Per column: the horizontal ray direction in world xy (z-depth t times it is the offset from the camera) and
    # its length.
    direction = rays.a[:, None] * camera.right + camera.forward
    per_column = np.concatenate((direction, np.hypot(direction[:, :1], direction[:, 1:])), axis=1).T
    per_column = torch.from_numpy(np.ascontiguousarray(per_column, dtype=np.float32)).to(device)
    direction_x, direction_y, ray_length = (per_column[k].index_select(0, column) for k in range(3))
    x, y = t * direction_x, t * direction_y

    # The camera's own station gives every pixel a first guess of its s along the camera's tangent line.
    nearest = int(np.argmin(np.sum((path.xy - camera.position) ** 2, axis=1)))
    station, _ = path.project(camera.position, np.asarray(path.stations[nearest]))
    window = path.window(
        camera.position, float(station) - _GROUND_SEARCH_BEHIND_M, float(station) + _GROUND_SEARCH_AHEAD_M
    )
    _, tangent = path.frame_at(station)
    guess = float(station - window.first_station) + x * float(tangent[0]) + y * float(tangent[1])
    # One refinement: d is then within 1 cm out to 150 m (far below the footprint there).
    s, d, tangent_x, tangent_y = window.project_torch(x, y, guess, steps=1)

    # The pixel's footprint: one column moves the point t / fx along the camera's x axis, one row moves it
    # t^2 / (fy h) along the ray's horizontal direction. Its extent along the street's axes (s and d):
    column_step = t * (1.0 / intrinsics.fx)
    row_step = t * t * (1.0 / (intrinsics.fy * camera.height))
    right_s = float(camera.right[0]) * tangent_x + float(camera.right[1]) * tangent_y
    right_d = float(camera.right[1]) * tangent_x - float(camera.right[0]) * tangent_y
    ray_s = direction_x * tangent_x + direction_y * tangent_y
    ray_d = direction_y * tangent_x - direction_x * tangent_y
    footprint_s = (column_step * right_s).abs() + (row_step * ray_s).abs() + 1e-6
    footprint_d = (column_step * right_d).abs() + (row_step * ray_d).abs() + 1e-6
    footprint = torch.maximum(column_step, row_step * ray_length)

    albedo, contrast = scene.ground.albedo(s, d, footprint_s, footprint_d, window.first_station)
    # Noise in world coordinates, reduced modulo the noise's period in float64 before meeting float32.
    base = np.mod(camera.position, NOISE_PERIOD_M)
    return x + float(base[0]), y + float(base[1]), footprint, albedo, contrast


def _sky(
    scene: Scene, camera: LevelCamera, rays: RayTables, horizon: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Colour (3, h, W) of the sky in the rows above the horizon, and the cloud layer's noise coordinates u, v and
    footprint (h, W). Everything depends on the ray's direction only: the sky is at infinity."""
    key = ("sky", rays.intrinsics, rays.device)
    fixed = scene.cache.get(key)
    if fixed is None:
        # What does not depend on the camera's heading: elevation, gradient, cloud-plane scale and footprint.
        a, b = rays.a[None, :], np.minimum(rays.b[:horizon, None], 0.0)
        norm = np.sqrt(a * a + b * b + 1.0)
        up = -b / norm + np.zeros_like(a)
        gradient = _HORIZON[:, None, None] + (_ZENITH - _HORIZON)[:, None, None] * (1.0 - np.exp(-4.0 * up))[None]
        # Clouds on a plane far above, in units of 100 m, so that the noise's coarse octaves make the cloud scale.
        lift = -b + 0.03
        scale = _CLOUD_HEIGHT_M / 100.0
        footprint = scale / (rays.intrinsics.fy * lift * lift) + np.zeros_like(a)
        fixed = [
            torch.from_numpy(np.ascontiguousarray(item, dtype=np.float32)).to(rays.device)
            for item in (
                a + np.zeros_like(b),
                scale / lift + np.zeros_like(a),
                up,
                1.0 / norm + np.zeros_like(a),
                gradient,
                footprint,
            )
        ]
        scene.cache[key] = fixed
    a, reach, up, inverse_norm, gradient, footprint = fixed
    # World xy of the ray direction (a, ., 1) mapped through the camera's heading.
    right, forward = camera.right, camera.forward
    east = a * float(right[0]) + float(forward[0])
    north = a * float(right[1]) + float(forward[1])
    sun = scene.lighting.sun_direction
    facing_sun = ((east * float(sun[0]) + north * float(sun[1])) * inverse_norm + up * float(sun[2])).clamp_(min=0.0)
    glow = torch.tensor([0.25, 0.2, 0.1], device=rays.device)[:, None, None] * facing_sun.pow(24)
    return gradient + glow, east * reach, north * reach, footprint
