"""Small pictures drawn from env state with numpy, for envs whose own renderer needs pygame.

CartPole's ``render()`` draws with pygame; the app shows CartPole in the terminal, so it draws the
cart and pole itself from the state vector (a few hundred pixels, cheap enough for every step).
"""

from __future__ import annotations

import numpy as np

SKY = (18, 22, 34)
TRACK = (120, 120, 120)
CART = (70, 130, 230)
POLE = (230, 180, 70)
DANGER = (230, 60, 60)


def cartpole_image(state, x_threshold: float = 2.4, theta_threshold: float = 0.2095,
                   width: int = 96, height: int = 48) -> np.ndarray:
    """An rgb picture of CartPole: the track, the cart at x, the pole at angle theta (red near a fall)."""
    x, theta = float(state[0]), float(state[2])
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[:] = SKY
    track_y = int(height * 0.8)
    img[track_y, :] = TRACK
    scale = (width - 12) / (2 * x_threshold)
    cx = int(round(width / 2 + x * scale))
    cart_w, cart_h = max(6, width // 10), max(3, height // 12)
    x0, x1 = max(0, cx - cart_w // 2), min(width, cx + cart_w // 2 + 1)
    img[track_y - cart_h : track_y, x0:x1] = CART
    colour = DANGER if abs(theta) > 0.75 * theta_threshold else POLE
    length = height * 0.6
    top_y = track_y - cart_h
    for t in np.linspace(0.0, 1.0, int(length * 2)):
        px = cx + np.sin(theta) * length * t
        py = top_y - np.cos(theta) * length * t
        for dx in (0, 1):
            xi, yi = int(round(px)) + dx, int(round(py))
            if 0 <= xi < width and 0 <= yi < height:
                img[yi, xi] = colour
    return img
