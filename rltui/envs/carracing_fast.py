"""CarRacing with its observation drawn at the size the agent sees, instead of on a 1000×800 screen.

Gymnasium's CarRacing paints ~700 road and grass polygons on a 1000×800 pygame surface every physics
step and smooth-scales it to 96×96: nearly all of a training step. :class:`FastCarRacing` keeps
Gymnasium's physics, rewards and episode ends (it subclasses ``CarRacing`` and replaces only the
``state_pixels`` drawing) and draws the same scene, camera and indicators with OpenCV at 4× the
observation size, then averages it down as the smooth-scale does. Full-size frames for people
(``render_mode="rgb_array"`` / ``"human"``) are still Gymnasium's own.

:class:`SkipAndMax` is Gymnasium's ``MaxAndSkipObservation`` that has the env draw only the two frames
whose maximum it returns.

Gymnasium's Box2D envs import pygame when loaded, which this layer keeps out of its imports: they load
on first use (``FastCarRacing`` is built when first asked for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import cv2
import gymnasium as gym
import numpy as np

FAST_ID = "rltui/CarRacingFast-v3"
_SHIFT = 8  # fractional bits of the vertex coordinates handed to OpenCV
_ONE = 1 << _SHIFT
_GREY = (0.2125, 0.7154, 0.0721)  # GrayscaleObservation's weights
# pygame's smooth-scale truncates twice in fixed point: a uniform colour v comes out as v - 2.
_SMOOTHSCALE_LUT = np.clip(np.arange(256) - 2, 0, 255).astype(np.uint8)
_TEXT_BOX = (0, 250, 700, 800)  # window pixels (x0, x1, y0, y1) around the reward counter


@dataclass(frozen=True)
class _Scene:
    """Gymnasium's CarRacing drawing constants (window, camera, playfield, grass, car colours)."""

    window_w: int
    window_h: int
    state: int  # the observation's side, 96
    scale: float
    zoom: float
    playfield: float
    grass: np.ndarray  # (400, 4, 2) world points of the lighter squares
    grass_centres: np.ndarray
    grass_radius: float
    field: np.ndarray  # (4, 2) the playfield's corners
    hull_rgb: tuple[int, int, int]
    wheel_rgb: tuple[int, int, int]
    wheel_white_rgb: tuple[int, int, int]
    wheel_w: float  # the turning patch's half width and the wheel's radius, world units
    wheel_r: float
    pygame: Any  # Gymnasium's pygame, for the reward counter's font


@cache
def _scene() -> _Scene:
    from gymnasium.envs.box2d import car_dynamics as cd
    from gymnasium.envs.box2d import car_racing as cr

    assert cr.STATE_W == cr.STATE_H, "a square observation"
    g = cr.GRASS_DIM
    grass = np.asarray([[(g * x + g, g * y), (g * x, g * y), (g * x, g * y + g), (g * x + g, g * y + g)]
                        for x in range(-20, 20, 2) for y in range(-20, 20, 2)], dtype=np.float64)
    p = cr.PLAYFIELD
    x0, x1, y0, y1 = _TEXT_BOX  # the counter's box must map onto whole observation pixels
    assert all(v * cr.STATE_W % cr.WINDOW_W == 0 for v in (x0, x1))
    assert all(v * cr.STATE_H % cr.WINDOW_H == 0 for v in (y0, y1))
    return _Scene(
        cr.WINDOW_W, cr.WINDOW_H, cr.STATE_W, cr.SCALE, cr.ZOOM, p, grass, grass.mean(axis=1), g * math.sqrt(0.5),
        np.array([(p, p), (p, -p), (-p, -p), (-p, p)], dtype=np.float64),
        (204, 0, 0), tuple(cd.WHEEL_COLOR), tuple(cd.WHEEL_WHITE),  # hull: Car's (0.8, 0, 0) × 255
        cd.WHEEL_W * cd.SIZE, cd.WHEEL_R * cd.SIZE, cr.pygame,
    )


class ObservationRenderer:
    """Draws CarRacing's ``state_pixels`` frame for an env's current state, ``size``×``size``.

    The 96×96 frame is filled at ``supersample``× its size and block-averaged down (what Gymnasium's
    smooth-scale of its 1000×800 surface amounts to, and anti-aliasing for every edge); the reward
    counter is rendered once per string with Gymnasium's font and blended in. ``grey`` draws one channel
    (GrayscaleObservation's weights) and ``size`` other than 96 resizes as ResizeObservation does.
    """

    def __init__(self, size: int = 96, grey: bool = False, supersample: int = 4) -> None:
        if size < 8 or supersample < 1:
            raise ValueError(f"size must be at least 8 and supersample at least 1, not {size}, {supersample}")
        self.size, self.grey, self.k = size, grey, supersample
        self._g = g = _scene()
        n = g.state * supersample
        self._n = n
        self._canvas = np.zeros((n, n) if grey else (n, n, 3), np.uint8)
        self._sx, self._sy = n / g.window_w, n / g.window_h  # canvas pixels per window pixel
        self._reach = math.hypot(g.window_w / 2, g.window_h * 3 / 4) + 2  # farthest window pixel from the car
        self._road: tuple[Any, np.ndarray, np.ndarray, float] | None = None
        self._car: Any = None
        self._wheel_shape = self._hull_shape = np.zeros((0, 2))
        self._hull_split: list[int] = []
        self._text_cache: dict[str, tuple[slice, slice, np.ndarray]] = {}
        self._font: Any = None

    # -- colours ---------------------------------------------------------------------------------------
    def _colour(self, rgb: Any) -> Any:
        """An RGB triple as the canvas stores it: ints, or one grey level (floored, as GrayscaleObservation)."""
        r, g, b = int(rgb[0]), int(rgb[1]), int(rgb[2])
        if self.grey:
            return int(_GREY[0] * r + _GREY[1] * g + _GREY[2] * b)
        return (r, g, b)

    def _colours(self, rgbs: list[Any]) -> list[Any]:
        """:meth:`_colour` for many colours at once (same truncations, same order of the sums)."""
        arr = np.trunc(np.asarray(rgbs, dtype=np.float64))
        if self.grey:
            return (arr[:, 0] * _GREY[0] + arr[:, 1] * _GREY[1] + arr[:, 2] * _GREY[2]).astype(np.int64).tolist()
        return [tuple(c) for c in arr.astype(np.int64).tolist()]

    # -- drawing ---------------------------------------------------------------------------------------
    def draw(self, env: Any) -> np.ndarray:
        """The observation for ``env``'s state now (a new array: callers may keep it)."""
        g = self._g
        car = env.car
        hull = car.hull
        angle = -hull.angle
        t = env.t
        zoom = 0.1 * g.scale * max(1 - t, 0) + g.zoom * g.scale * min(t, 1)  # the first second's zoom-in
        c, s = math.cos(angle), math.sin(angle)
        px, py = hull.position
        sx, sy = self._sx, self._sy
        # world -> canvas: window = zoom * R(angle) (p - car) + (W/2, H/4); the surface is then flipped
        # vertically and scaled by (sx, sy); OpenCV samples pixel centres, hence the half pixel.
        m = np.array([[sx * zoom * c, -sx * zoom * s], [-sy * zoom * s, -sy * zoom * c]])
        off = np.array([sx * g.window_w / 2, sy * g.window_h * 3 / 4]) - m @ (px, py) - 0.5
        canvas = self._canvas
        reach = self._reach / zoom  # world units: all the window shows lies this close to the car
        if abs(px) + reach < g.playfield and abs(py) + reach < g.playfield:
            canvas[:] = np.asarray(self._colour(env.bg_color), np.uint8)  # an array: a tuple is 50× slower
        else:  # the black beyond the playfield's edge is in view
            canvas[:] = 0
            cv2.fillPoly(canvas, [self._to_fixed(g.field, m, off)], self._colour(env.bg_color), cv2.LINE_8, _SHIFT)
        near = self._in_view(g.grass_centres, m, off, g.grass_radius * zoom)
        if len(near):  # the squares never overlap: one fill
            cv2.fillPoly(canvas, list(self._to_fixed(g.grass[near], m, off)), self._colour(env.grass_color),
                         cv2.LINE_8, _SHIFT)
        self._draw_road(canvas, env, m, off, zoom)
        self._draw_car(canvas, car, m, off)
        self._draw_indicators(canvas, car)
        out = self._downsample(canvas)
        self._blend_text(out, f"{env.reward:04.0f}")
        cv2.LUT(out, _SMOOTHSCALE_LUT, dst=out)
        if self.size != g.state:  # the agent's resize of the 96×96 frame (ResizeObservation's)
            out = cv2.resize(out, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return out

    def _downsample(self, canvas: np.ndarray) -> np.ndarray:
        """Average each k×k block: by halvings with bilinear sampling (which then averages exactly 2×2,
        several times faster than INTER_AREA) when k is a power of two."""
        k, side = self.k, self._g.state
        if k == 1:
            return canvas.copy()
        if k & (k - 1):
            return cv2.resize(canvas, (side, side), interpolation=cv2.INTER_AREA)
        out = canvas
        while k > 1:
            k //= 2
            out = cv2.resize(out, (side * k, side * k), interpolation=cv2.INTER_LINEAR)
        return out

    @staticmethod
    def _to_fixed(pts: np.ndarray, m: np.ndarray, off: np.ndarray) -> np.ndarray:
        return np.rint((pts @ m.T + off) * _ONE).astype(np.int32)

    def _in_view(self, centres: np.ndarray, m: np.ndarray, off: np.ndarray, radius: float) -> np.ndarray:
        """Indices of the shapes (centre, and ``radius`` in window pixels) that may touch the canvas."""
        cc = centres @ m.T + off
        margin = radius * max(self._sx, self._sy) + 1
        hi = self._n + margin
        x, y = cc[:, 0], cc[:, 1]
        return np.flatnonzero((x > -margin) & (x < hi) & (y > -margin) & (y < hi))

    def _draw_road(self, canvas: np.ndarray, env: Any, m: np.ndarray, off: np.ndarray, zoom: float) -> None:
        """Road tiles and kerbs in Gymnasium's order (later ones cover earlier ones where turns overlap).

        A tile's colour changes when the car first touches it, so colours are read at every drawing."""
        road_poly = env.road_poly
        cache = self._road
        if cache is None or cache[0] is not road_poly or len(cache[1]) != len(road_poly):
            pts = np.asarray([p for p, _ in road_poly], dtype=np.float64).reshape(-1, 4, 2)
            centres = pts.mean(axis=1)
            radius = float(np.sqrt(((pts - centres[:, None]) ** 2).sum(-1)).max()) if len(pts) else 0.0
            cache = self._road = (road_poly, pts, centres, radius)
        _, pts, centres, radius = cache
        near = self._in_view(centres, m, off, radius * zoom)
        if not len(near):
            return
        fixed = self._to_fixed(pts[near], m, off)
        colours = self._colours([road_poly[i][1] for i in near.tolist()])
        for poly, colour in zip(fixed, colours):  # tiles overlap on turns: one fill each, in order
            cv2.fillConvexPoly(canvas, poly, colour, cv2.LINE_8, _SHIFT)

    def _draw_car(self, canvas: np.ndarray, car: Any, m: np.ndarray, off: np.ndarray) -> None:
        """Wheels (each with its turning grey patch), then the hull: ``Car.draw`` without particles.

        Wheels never overlap one another, nor do patches, so each kind is one fill."""
        g = self._g
        if car is not self._car:
            self._car = car
            self._wheel_shape = np.asarray(car.wheels[0].fixtures[0].shape.vertices, dtype=np.float64)
            hull = [np.asarray(f.shape.vertices, dtype=np.float64) for f in car.hull.fixtures]
            self._hull_shape = np.concatenate(hull)
            self._hull_split = np.cumsum([len(h) for h in hull])[:-1].tolist()
        wheels = car.wheels
        ang = np.array([w.angle for w in wheels])
        pos = np.array([tuple(w.position) for w in wheels])
        local = np.broadcast_to(self._wheel_shape, (len(wheels), *self._wheel_shape.shape))
        self._fill_bodies(canvas, local, ang, pos, m, off, self._colour(g.wheel_rgb))
        patches, which = [], []
        w, r = g.wheel_w, g.wheel_r
        for i, wheel in enumerate(wheels):
            phase = wheel.phase
            s1, s2 = math.sin(phase), math.sin(phase + 1.2)
            if s1 > 0 and s2 > 0:
                continue
            c1, c2 = math.cos(phase), math.cos(phase + 1.2)
            if s1 > 0:
                c1 = math.copysign(1.0, c1) if c1 else 0.0
            if s2 > 0:
                c2 = math.copysign(1.0, c2) if c2 else 0.0
            patches.append([(-w, r * c1), (w, r * c1), (w, r * c2), (-w, r * c2)])
            which.append(i)
        if patches:
            self._fill_bodies(canvas, np.asarray(patches), ang[which], pos[which], m, off,
                              self._colour(g.wheel_white_rgb))
        hull = car.hull
        hc, hs = math.cos(hull.angle), math.sin(hull.angle)
        bm = m @ np.array([[hc, -hs], [hs, hc]])
        fixed = self._to_fixed(self._hull_shape, bm, off + m @ tuple(hull.position))
        colour = self._colour(g.hull_rgb)
        for part in np.split(fixed, self._hull_split):  # the hull's parts overlap: one fill each
            cv2.fillConvexPoly(canvas, part, colour, cv2.LINE_8, _SHIFT)

    def _fill_bodies(self, canvas: np.ndarray, local: np.ndarray, ang: np.ndarray, pos: np.ndarray,
                     m: np.ndarray, off: np.ndarray, colour: Any) -> None:
        """Fill polygons given in their bodies' frames (``local[i]`` at angle ``ang[i]``, place ``pos[i]``)."""
        c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
        lx, ly = local[..., 0], local[..., 1]
        world = np.stack([c * lx - s * ly + pos[:, :1], s * lx + c * ly + pos[:, 1:]], axis=-1)
        cv2.fillPoly(canvas, list(self._to_fixed(world, m, off)), colour, cv2.LINE_8, _SHIFT)

    def _rect(self, canvas: np.ndarray, x0: float, x1: float, y0: float, y1: float, colour: Any) -> None:
        """A filled window-pixel rectangle as ``pygame.draw.polygon`` paints it (both edges included):
        the canvas pixels whose centres it covers."""
        xa, xb = (x0, x1) if x0 <= x1 else (x1, x0)
        ya, yb = (y0, y1) if y0 <= y1 else (y1, y0)
        sx, sy = self._sx, self._sy
        c0, c1 = max(math.ceil(xa * sx - 0.5), 0), max(math.ceil((xb + 1) * sx - 0.5), 0)
        r0, r1 = max(math.ceil(ya * sy - 0.5), 0), max(math.ceil((yb + 1) * sy - 0.5), 0)
        canvas[r0:r1, c0:c1] = np.asarray(colour, np.uint8)  # not a tuple: numpy broadcasts those slowly

    def _draw_indicators(self, canvas: np.ndarray, car: Any) -> None:
        """The black panel: speed, four wheel speeds ("ABS"), steering and gyroscope bars."""
        g = self._g
        s, h, H = g.window_w / 40.0, g.window_h / 40.0, g.window_h
        self._rect(canvas, 0, g.window_w - 1, H - 5 * h, H - 1, 0)

        def vertical(place: float, val: float, rgb: tuple[int, int, int]) -> None:
            self._rect(canvas, place * s, (place + 1) * s, H - (h + h * val), H - h, self._colour(rgb))

        def horizontal(place: float, val: float, rgb: tuple[int, int, int]) -> None:
            self._rect(canvas, place * s, (place + val) * s, H - 4 * h, H - 2 * h, self._colour(rgb))

        vx, vy = car.hull.linearVelocity
        speed = math.sqrt(vx * vx + vy * vy)
        if abs(speed) > 1e-4:
            vertical(5, 0.02 * speed, (255, 255, 255))
        for i, rgb in enumerate(((0, 0, 255), (0, 0, 255), (51, 0, 255), (51, 0, 255))):
            omega = car.wheels[i].omega
            if abs(omega) > 1e-4:
                vertical(7 + i, 0.01 * omega, rgb)
        steer = car.wheels[0].joint.angle
        if abs(steer) > 1e-4:
            horizontal(20, -10.0 * steer, (0, 255, 0))
        gyro = car.hull.angularVelocity
        if abs(gyro) > 1e-4:
            horizontal(30, -0.8 * gyro, (255, 0, 0))

    def _blend_text(self, out: np.ndarray, text: str) -> None:
        """The reward counter: white digits on the black panel, covering each pixel by its glyph area."""
        entry = self._text_cache.get(text)
        if entry is None:
            entry = self._text_cache[text] = self._text_coverage(text)
        rows, cols, cover = entry
        region = out[rows, cols].astype(np.float32)
        if region.ndim == 3:
            cover = cover[..., None]
        out[rows, cols] = np.rint(region * (1.0 - cover) + 255.0 * cover).astype(np.uint8)

    def _text_coverage(self, text: str) -> tuple[slice, slice, np.ndarray]:
        """Where ``text`` lands on the 96×96 frame and how much of each pixel its glyphs cover."""
        g = self._g
        pygame = g.pygame
        if self._font is None:
            pygame.font.init()
            self._font = pygame.font.Font(pygame.font.get_default_font(), 42)  # Gymnasium's counter
        surf = self._font.render(text, True, (255, 255, 255), (0, 0, 0))
        w, h = surf.get_size()
        x, y = 60 - w // 2, int(g.window_h - g.window_h * 2.5 / 40.0) - h // 2  # rect.center, as Gymnasium
        x0, x1, y0, y1 = _TEXT_BOX
        full = np.zeros((y1 - y0, x1 - x0), np.float32)
        glyphs = pygame.surfarray.array3d(surf)[:, :, 0].T / np.float32(255.0)
        ya, xa, yb, xb = max(y, y0), max(x, x0), min(y + h, y1), min(x + w, x1)
        full[ya - y0:yb - y0, xa - x0:xb - x0] = glyphs[ya - y:yb - y, xa - x:xb - x]
        # The box maps onto whole frame pixels (24×12 at 96×96), so an area resize is the exact average.
        rows = slice(y0 * g.state // g.window_h, y1 * g.state // g.window_h)
        cols = slice(x0 * g.state // g.window_w, x1 * g.state // g.window_w)
        cover = cv2.resize(full, (cols.stop - cols.start, rows.stop - rows.start), interpolation=cv2.INTER_AREA)
        return rows, cols, cover


@cache
def fast_carracing_class() -> type:
    """:class:`FastCarRacing`, defined on first use (subclassing Gymnasium's CarRacing loads pygame)."""
    from gymnasium.envs.box2d.car_racing import CarRacing
    from gymnasium.utils import EzPickle

    class FastCarRacing(CarRacing):
        """Gymnasium's CarRacing whose observation is drawn by :class:`ObservationRenderer`.

        ``pixels`` is the observation's side (96 as Gymnasium's, 84 as the agent sees it) and ``grey``
        gives one channel. Everything else (track, physics, rewards, ends, full-size ``render()``) is
        Gymnasium's. While ``draw_observation`` is False, steps return the last drawing (a copy) instead
        of a new one, for frame-skipping wrappers that throw those frames away.
        """

        def __init__(self, render_mode: str | None = None, verbose: bool = False,
                     lap_complete_percent: float = 0.95, domain_randomize: bool = False, continuous: bool = True,
                     pixels: int = 96, grey: bool = False, supersample: int = 4) -> None:
            super().__init__(render_mode=render_mode, verbose=verbose, lap_complete_percent=lap_complete_percent,
                             domain_randomize=domain_randomize, continuous=continuous)
            EzPickle.__init__(self, render_mode, verbose, lap_complete_percent, domain_randomize, continuous, pixels,
                              grey, supersample)  # a pickled env comes back with its own observation
            self.observation_renderer = ObservationRenderer(pixels, grey=grey, supersample=supersample)
            shape = (pixels, pixels) if grey else (pixels, pixels, 3)
            self.observation_space = gym.spaces.Box(0, 255, shape=shape, dtype=np.uint8)
            self.draw_observation = True
            self._last_observation = np.zeros(shape, np.uint8)

        def _render(self, mode: str):
            if mode != "state_pixels":
                return super()._render(mode)
            if "t" not in self.__dict__:
                return None  # reset() not called yet, as Gymnasium's
            if self.draw_observation:
                self._last_observation = self.observation_renderer.draw(self)
                return self._last_observation
            return self._last_observation.copy()  # a new array, as Gymnasium's env checker asks

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            self.draw_observation = True
            return super().reset(seed=seed, options=options)

    FastCarRacing.__module__ = __name__  # picklable by name, through this module's __getattr__
    FastCarRacing.__qualname__ = "FastCarRacing"
    return FastCarRacing


def __getattr__(name: str) -> Any:
    if name == "FastCarRacing":
        return fast_carracing_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_fast_carracing() -> str:
    """Register FastCarRacing with Gymnasium (once, on first use, so env listings do not show it as an
    env of its own) with CarRacing-v3's step limit, and return its id."""
    if FAST_ID not in gym.registry:
        spec = gym.spec("CarRacing-v3")
        gym.register(FAST_ID, entry_point=f"{__name__}:FastCarRacing", max_episode_steps=spec.max_episode_steps,
                     reward_threshold=spec.reward_threshold)
    return FAST_ID


class SkipAndMax(gym.Wrapper):
    """Gymnasium's ``MaxAndSkipObservation`` (the action repeated ``skip`` times, rewards summed, the
    maximum of the last two frames, the same buffer when an episode ends early) that has FastCarRacing
    draw only the two frames it keeps."""

    def __init__(self, env: gym.Env, skip: int = 4) -> None:
        if skip < 2:
            raise ValueError(f"skip must be at least 2, not {skip}")
        if not hasattr(env.unwrapped, "draw_observation"):
            raise TypeError(f"SkipAndMax wraps FastCarRacing, not {type(env.unwrapped).__name__}")
        super().__init__(env)
        self._skip = skip
        self._buffer = np.zeros((2, *env.observation_space.shape), dtype=env.observation_space.dtype)
        self._fast: Any = env.unwrapped

    def reset(self, **kwargs: Any):
        self._fast.draw_observation = True
        return self.env.reset(**kwargs)

    def step(self, action: Any):
        total = 0.0
        terminated = truncated = False
        info: dict[str, Any] = {}
        first_kept = self._skip - 2
        for i in range(self._skip):
            self._fast.draw_observation = i >= first_kept
            obs, reward, terminated, truncated, info = self.env.step(action)
            if i >= first_kept:
                self._buffer[i - first_kept] = obs
            total += float(reward)
            if terminated or truncated:
                break
        self._fast.draw_observation = True
        return np.max(self._buffer, axis=0), total, terminated, truncated, info
