"""CarRacing with its observation drawn at the size the agent sees, instead of on a 1000×800 screen.

Gymnasium's CarRacing paints ~700 road and grass polygons on a 1000×800 pygame surface every physics
step and smooth-scales it to 96×96: 97% of a training step. :class:`FastCarRacing` keeps Gymnasium's
physics, rewards and episode ends (it subclasses ``CarRacing`` and only replaces the ``state_pixels``
drawing) and draws the same scene, camera and indicators with OpenCV straight at the observation size
(96×96 RGB, or the agent's 84×84 grey), supersampled and area-averaged as Gymnasium's smooth-scale does.
Full-size frames for people (``render_mode="rgb_array"`` / ``"human"``) are still Gymnasium's own.

:class:`SkipAndMax` is Gymnasium's ``MaxAndSkipObservation`` that asks for a drawing only on the two
frames whose maximum it returns.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d import car_dynamics
from gymnasium.envs.box2d.car_racing import (
    GRASS_DIM,
    PLAYFIELD,
    SCALE,
    STATE_H,
    STATE_W,
    WINDOW_H,
    WINDOW_W,
    ZOOM,
    CarRacing,
)

_SHIFT = 8  # fractional bits of the vertex coordinates handed to OpenCV
_ONE = 1 << _SHIFT
_GREY = np.array([0.2125, 0.7154, 0.0721])  # GrayscaleObservation's weights
_HULL_RGB = tuple(int(c * 255) for c in (0.8, 0.0, 0.0))
_WHEEL_RGB = car_dynamics.WHEEL_COLOR
_WHEEL_WHITE_RGB = car_dynamics.WHEEL_WHITE
_BAR_H = WINDOW_H / 40.0  # the indicator panel's unit height (Gymnasium's ``h``)
_BAR_S = WINDOW_W / 40.0  # and unit width (``s``)
_TEXT_CENTRE = (60, WINDOW_H - WINDOW_H * 2.5 / 40.0)
_TEXT_BOX = (0, 250, 700, 800)  # window pixels (x0, x1, y0, y1) that hold the reward text
_SMOOTHSCALE_LUT = np.clip(np.arange(256) - 2, 0, 255).astype(np.uint8)


def _grass_squares() -> np.ndarray:
    """The 400 lighter grass squares Gymnasium draws over the background, as (400, 4, 2) world points."""
    squares = []
    for x in range(-20, 20, 2):
        for y in range(-20, 20, 2):
            x0, y0 = GRASS_DIM * x, GRASS_DIM * y
            squares.append([(x0 + GRASS_DIM, y0), (x0, y0), (x0, y0 + GRASS_DIM), (x0 + GRASS_DIM, y0 + GRASS_DIM)])
    return np.asarray(squares, dtype=np.float64)


_GRASS = _grass_squares()
_GRASS_CENTRES = _GRASS.mean(axis=1)
_GRASS_RADIUS = GRASS_DIM * math.sqrt(0.5)
_FIELD = np.array([(PLAYFIELD, PLAYFIELD), (PLAYFIELD, -PLAYFIELD), (-PLAYFIELD, -PLAYFIELD), (-PLAYFIELD, PLAYFIELD)])
# The farthest window pixel from the car's place on screen (W/2, H/4 from the bottom), in window pixels.
_VIEW_REACH = math.hypot(WINDOW_W / 2, WINDOW_H * 3 / 4) + 2


def _area_weights(n_out: int, src_len: float, lo: int, hi: int) -> np.ndarray:
    """(n_out, hi - lo) weights: how much of source pixel ``lo + j`` falls in output pixel ``i`` when
    ``src_len`` source pixels are averaged down to ``n_out`` (pygame's smoothscale, OpenCV's INTER_AREA)."""
    step = src_len / n_out
    starts = np.arange(n_out)[:, None] * step
    src = np.arange(lo, hi)[None, :]
    overlap = np.clip(np.minimum(starts + step, src + 1) - np.maximum(starts, src), 0.0, None)
    return overlap / step


class ObservationRenderer:
    """Draws CarRacing's ``state_pixels`` frame for an env's current state at ``size``×``size``.

    The scene is filled at ``supersample``× the output size, then area-averaged down, which is what
    Gymnasium's smooth-scale of its 1000×800 surface amounts to (and anti-aliases every edge); the
    reward digits are rendered once per string with pygame's font and blended in at output size.
    """

    def __init__(self, size: int = STATE_W, grey: bool = False, supersample: int = 4) -> None:
        if size < 8 or supersample < 1:
            raise ValueError(f"size must be at least 8 and supersample at least 1, not {size}, {supersample}")
        self.size, self.grey, self.k = size, grey, supersample
        n = STATE_W * supersample  # drawn as Gymnasium's 96×96, then resized to ``size``
        self._n = n
        self._canvas = np.zeros((n, n) if grey else (n, n, 3), np.uint8)
        self._sx, self._sy = n / WINDOW_W, n / WINDOW_H  # canvas pixels per window pixel
        self._car: Any = None
        self._road: tuple[Any, np.ndarray, np.ndarray, float] | None = None
        self._car_shapes: list[tuple[Any, list[np.ndarray], Any]] = []
        self._text_cache: dict[str, tuple[slice, slice, np.ndarray]] = {}
        self._font: Any = None
        x0, x1, y0, y1 = _TEXT_BOX
        self._wy_full = _area_weights(STATE_H, WINDOW_H, y0, y1)
        self._wx_full = _area_weights(STATE_W, WINDOW_W, x0, x1)

    # -- colours ---------------------------------------------------------------------------------------
    def _colour(self, rgb: Any) -> Any:
        """An RGB triple as this canvas stores it: ints, or one grey level (GrayscaleObservation's, floored)."""
        r, g, b = int(rgb[0]), int(rgb[1]), int(rgb[2])
        if self.grey:
            return int(0.2125 * r + 0.7154 * g + 0.0721 * b)
        return (r, g, b)

    # -- drawing ---------------------------------------------------------------------------------------
    def draw(self, env: CarRacing) -> np.ndarray:
        """The observation for ``env``'s state now (a new array: callers may keep it)."""
        car = env.car
        hull = car.hull
        angle = -hull.angle
        t = env.t
        zoom = 0.1 * SCALE * max(1 - t, 0) + ZOOM * SCALE * min(t, 1)
        c, s = math.cos(angle), math.sin(angle)
        px, py = hull.position
        sx, sy = self._sx, self._sy
        # world -> canvas: window = zoom * R(angle) (p - car) + (W/2, H/4); the surface is then flipped
        # vertically and scaled by (sx, sy); OpenCV samples pixel centres, hence the half pixel.
        m = np.array([[sx * zoom * c, -sx * zoom * s], [-sy * zoom * s, -sy * zoom * c]])
        off = np.array([sx * WINDOW_W / 2, sy * (WINDOW_H - WINDOW_H / 4)]) - m @ (px, py) - 0.5
        # Everything the window shows lies within this distance of the car (world units).
        reach = _VIEW_REACH / zoom
        canvas = self._canvas
        if abs(px) + reach < PLAYFIELD and abs(py) + reach < PLAYFIELD:
            canvas[:] = np.asarray(self._colour(env.bg_color), np.uint8)  # an array: a tuple is 50× slower
        else:  # the black beyond the playfield's edge is in view
            canvas[:] = 0
            cv2.fillPoly(canvas, [self._to_fixed(_FIELD, m, off)], self._colour(env.bg_color), cv2.LINE_8,
                         _SHIFT)
        near = self._in_view(_GRASS_CENTRES, m, off, _GRASS_RADIUS * zoom)
        if len(near):
            cv2.fillPoly(canvas, list(self._to_fixed(_GRASS[near], m, off)), self._colour(env.grass_color),
                         cv2.LINE_8, _SHIFT)
        self._draw_road(canvas, env, m, off, zoom)
        self._draw_car(canvas, car, m, off)
        self._draw_indicators(canvas, car)
        out = self._downsample(canvas)
        self._blend_text(out, f"{env.reward:04.0f}")
        # pygame's smooth-scale truncates twice in fixed point: a uniform colour v comes out as v - 2
        cv2.LUT(out, _SMOOTHSCALE_LUT, dst=out)
        if self.size != STATE_W:  # the agent's resize of Gymnasium's 96×96 (ResizeObservation's)
            out = cv2.resize(out, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return out

    def _downsample(self, canvas: np.ndarray) -> np.ndarray:
        """Average each k×k block: halvings with bilinear sampling (which then averages exactly 2×2, and
        is several times faster than INTER_AREA here) when k is a power of two."""
        k = self.k
        if k == 1:
            return canvas.copy()
        if k & (k - 1):
            return cv2.resize(canvas, (STATE_W, STATE_H), interpolation=cv2.INTER_AREA)
        out = canvas
        while k > 1:
            k //= 2
            out = cv2.resize(out, (STATE_W * k, STATE_H * k), interpolation=cv2.INTER_LINEAR)
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

    def _colours(self, rgbs: list[Any]) -> list[Any]:
        """:meth:`_colour` for many colours at once (same truncations, same order of the sums)."""
        arr = np.trunc(np.asarray(rgbs, dtype=np.float64))
        if self.grey:
            return (arr[:, 0] * _GREY[0] + arr[:, 1] * _GREY[1] + arr[:, 2] * _GREY[2]).astype(np.int64).tolist()
        return [tuple(c) for c in arr.astype(np.int64).tolist()]

    def _draw_road(self, canvas: np.ndarray, env: CarRacing, m: np.ndarray, off: np.ndarray, zoom: float) -> None:
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
        idx = near.tolist()
        colours = self._colours([road_poly[i][1] for i in idx])
        for poly, colour in zip(fixed, colours):
            cv2.fillConvexPoly(canvas, poly, colour, cv2.LINE_8, _SHIFT)

    def _draw_car(self, canvas: np.ndarray, car: Any, m: np.ndarray, off: np.ndarray) -> None:
        """Wheels (each with its turning grey patch), then the hull: ``Car.draw`` without particles.

        Wheels never overlap one another, nor patches, so each kind is one fill."""
        if car is not self._car:
            self._car = car
            self._wheel_shape = np.asarray(car.wheels[0].fixtures[0].shape.vertices, dtype=np.float64)
            hull = [np.asarray(f.shape.vertices, dtype=np.float64) for f in car.hull.fixtures]
            self._hull_shape = np.concatenate(hull)
            self._hull_split = np.cumsum([len(h) for h in hull])[:-1]
        wheels = car.wheels
        ang = np.array([w.angle for w in wheels])
        pos = np.array([tuple(w.position) for w in wheels])
        local = np.broadcast_to(self._wheel_shape, (len(wheels), *self._wheel_shape.shape))
        self._fill_bodies(canvas, local, ang, pos, m, off, self._colour(_WHEEL_RGB))
        patches, p_ang, p_pos = [], [], []
        w, r = car_dynamics.WHEEL_W * car_dynamics.SIZE, car_dynamics.WHEEL_R * car_dynamics.SIZE
        for i, wheel in enumerate(wheels):
            phase = wheel.phase
            s1, s2 = math.sin(phase), math.sin(phase + 1.2)
            if s1 > 0 and s2 > 0:
                continue
            c1, c2 = math.cos(phase), math.cos(phase + 1.2)
            if s1 > 0:
                c1 = float(np.sign(c1))
            if s2 > 0:
                c2 = float(np.sign(c2))
            patches.append([(-w, r * c1), (w, r * c1), (w, r * c2), (-w, r * c2)])
            p_ang.append(ang[i])
            p_pos.append(pos[i])
        if patches:
            self._fill_bodies(canvas, np.asarray(patches), np.asarray(p_ang), np.asarray(p_pos), m, off,
                              self._colour(_WHEEL_WHITE_RGB))
        hull = car.hull
        hc, hs = math.cos(hull.angle), math.sin(hull.angle)
        bm = m @ np.array([[hc, -hs], [hs, hc]])
        fixed = self._to_fixed(self._hull_shape, bm, off + m @ tuple(hull.position))
        colour = self._colour(_HULL_RGB)
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
        xa, xb = sorted((x0, x1))
        ya, yb = sorted((y0, y1))
        sx, sy = self._sx, self._sy
        c0, c1 = max(math.ceil(xa * sx - 0.5), 0), max(math.ceil((xb + 1) * sx - 0.5), 0)
        r0, r1 = max(math.ceil(ya * sy - 0.5), 0), max(math.ceil((yb + 1) * sy - 0.5), 0)
        canvas[r0:r1, c0:c1] = np.asarray(colour, np.uint8)  # not a tuple: numpy broadcasts those slowly

    def _draw_indicators(self, canvas: np.ndarray, car: Any) -> None:
        """The black panel: speed, four wheel speeds ("ABS"), steering and gyroscope bars."""
        s, h, H = _BAR_S, _BAR_H, WINDOW_H
        self._rect(canvas, 0, WINDOW_W - 1, H - 5 * h, H - 1, 0)

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
        """The reward counter: white digits on the black panel, area-averaged to the output size."""
        entry = self._text_cache.get(text)
        if entry is None:
            entry = self._text_cache[text] = self._text_coverage(text)
        rows, cols, cover = entry
        region = out[rows, cols].astype(np.float32)
        if region.ndim == 3:
            region = region * (1.0 - cover[..., None]) + 255.0 * cover[..., None]
        else:
            region = region * (1.0 - cover) + 255.0 * cover
        out[rows, cols] = np.rint(region).astype(np.uint8)

    def _text_coverage(self, text: str) -> tuple[slice, slice, np.ndarray]:
        import pygame

        if self._font is None:
            pygame.font.init()
            self._font = pygame.font.Font(pygame.font.get_default_font(), 42)
        surf = self._font.render(text, True, (255, 255, 255), (0, 0, 0))
        w, h = surf.get_size()
        x, y = int(_TEXT_CENTRE[0]) - w // 2, int(_TEXT_CENTRE[1]) - h // 2
        x0, x1, y0, y1 = _TEXT_BOX
        full = np.zeros((y1 - y0, x1 - x0), np.float64)
        glyphs = pygame.surfarray.array3d(surf)[:, :, 0].T / 255.0
        ya, xa = max(y, y0), max(x, x0)
        yb, xb = min(y + h, y1), min(x + w, x1)
        full[ya - y0:yb - y0, xa - x0:xb - x0] = glyphs[ya - y:yb - y, xa - x:xb - x]
        cover = self._wy_full @ full @ self._wx_full.T
        rows_used = np.flatnonzero(cover.max(axis=1) > 0)
        cols_used = np.flatnonzero(cover.max(axis=0) > 0)
        if not len(rows_used):
            return slice(0, 0), slice(0, 0), np.zeros((0, 0), np.float32)
        rows = slice(int(rows_used[0]), int(rows_used[-1]) + 1)
        cols = slice(int(cols_used[0]), int(cols_used[-1]) + 1)
        return rows, cols, cover[rows, cols].astype(np.float32)


class FastCarRacing(CarRacing):
    """Gymnasium's CarRacing whose observation is drawn by :class:`ObservationRenderer`.

    ``pixels`` is the observation's side (96 as Gymnasium's, 84 as the agent sees it) and ``grey``
    gives one channel. Everything else (track, physics, rewards, ends, full-size ``render()``) is
    Gymnasium's. While ``draw_observation`` is False, steps return the last drawing instead of a new
    one, for frame-skipping wrappers that throw those frames away.
    """

    def __init__(self, render_mode: str | None = None, verbose: bool = False, lap_complete_percent: float = 0.95,
                 domain_randomize: bool = False, continuous: bool = True, pixels: int = STATE_W,
                 grey: bool = False, supersample: int = 4) -> None:
        super().__init__(render_mode=render_mode, verbose=verbose, lap_complete_percent=lap_complete_percent,
                         domain_randomize=domain_randomize, continuous=continuous)
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

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.draw_observation = True
        return super().reset(seed=seed, options=options)


class SkipAndMax(gym.Wrapper):
    """Gymnasium's ``MaxAndSkipObservation`` (same action repeat, reward sum and max of the last two
    frames, same buffer when an episode ends early) that has :class:`FastCarRacing` draw only the two
    frames it keeps."""

    def __init__(self, env: gym.Env, skip: int = 4) -> None:
        if skip < 2:
            raise ValueError(f"skip must be at least 2, not {skip}")
        super().__init__(env)
        self._skip = skip
        self._buffer = np.zeros((2, *env.observation_space.shape), dtype=env.observation_space.dtype)
        self._fast: FastCarRacing = env.unwrapped  # type: ignore[assignment]

    def reset(self, **kwargs: Any):
        self._fast.draw_observation = True
        return self.env.reset(**kwargs)

    def step(self, action: Any):
        total = 0.0
        terminated = truncated = False
        info: dict[str, Any] = {}
        fast = self._fast
        for i in range(self._skip):
            fast.draw_observation = i >= self._skip - 2
            obs, reward, terminated, truncated, info = self.env.step(action)
            if i >= self._skip - 2:
                self._buffer[i - (self._skip - 2)] = obs
            total += float(reward)
            if terminated or truncated:
                break
        fast.draw_observation = True
        return np.max(self._buffer, axis=0), total, terminated, truncated, info
