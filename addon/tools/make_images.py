"""Draw the add-on's icon.png (256x256) and logo.png (250x100).

Standard library only: shapes are drawn from distance functions with
anti-aliased edges, and the PNG files are written by hand (zlib + struct).
Run from anywhere; the images are written next to config.yaml:

    python3 addon/tools/make_images.py
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[1]

Color = tuple[int, int, int]
Point = tuple[float, float]
Field = Callable[[float, float], float]
Paint = Callable[[float, float], Color]

TOP: Color = (79, 70, 229)  # indigo
BOTTOM: Color = (14, 165, 233)  # sky blue
WHITE: Color = (255, 255, 255)
TEXT: Color = (99, 102, 241)  # a lighter indigo, readable on light and dark pages

# Heights of the waveform bars, as a share of the available height.
BARS = (0.30, 0.55, 0.85, 0.60, 1.00, 0.70, 0.40)


def png_bytes(width: int, height: int, rgba: bytearray) -> bytes:
    """Encode 8-bit RGBA pixels (row by row) as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 4
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        raw += rgba[y * stride : (y + 1) * stride]
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def coverage(distance: float) -> float:
    """Share of a pixel inside a shape, from its signed distance to the edge."""
    return min(1.0, max(0.0, 0.5 - distance))


def rounded_rect_distance(
    x: float, y: float, box: tuple[float, float, float, float], radius: float
) -> float:
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    hx, hy = (right - left) / 2 - radius, (bottom - top) / 2 - radius
    dx, dy = abs(x - cx) - hx, abs(y - cy) - hy
    outside = math.hypot(max(dx, 0.0), max(dy, 0.0))
    return outside + min(max(dx, dy), 0.0) - radius


def segment_distance(x: float, y: float, a: Point, b: Point) -> float:
    ax, ay = a
    bx, by = b
    vx, vy = bx - ax, by - ay
    length2 = vx * vx + vy * vy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - ax) * vx + (y - ay) * vy) / length2))
    return math.hypot(x - (ax + t * vx), y - (ay + t * vy))


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(width * height * 4)

    def blend(self, x: int, y: int, color: Color, alpha: float) -> None:
        if alpha <= 0:
            return
        i = (y * self.width + x) * 4
        dst_a = self.pixels[i + 3] / 255
        out_a = alpha + dst_a * (1 - alpha)
        for c in range(3):
            dst = self.pixels[i + c] * dst_a
            self.pixels[i + c] = round((color[c] * alpha + dst * (1 - alpha)) / out_a)
        self.pixels[i + 3] = round(out_a * 255)

    def fill(
        self, bounds: tuple[int, int, int, int], distance: Field, color: Color | Paint
    ) -> None:
        """Paint every pixel of bounds whose centre is inside distance() < 0."""
        left, top, right, bottom = bounds
        for y in range(max(0, top), min(self.height, bottom)):
            for x in range(max(0, left), min(self.width, right)):
                alpha = coverage(distance(x + 0.5, y + 0.5))
                if alpha > 0:
                    paint = color(x + 0.5, y + 0.5) if callable(color) else color
                    self.blend(x, y, paint, alpha)

    def stroke(self, points: list[Point], width: float, color: Color) -> None:
        """A polyline with round caps and joins."""
        half = width / 2
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        bounds = (
            math.floor(min(xs) - half - 1),
            math.floor(min(ys) - half - 1),
            math.ceil(max(xs) + half + 1),
            math.ceil(max(ys) + half + 1),
        )
        segments = list(zip(points, points[1:], strict=False)) or [(points[0], points[0])]

        def distance(x: float, y: float) -> float:
            return min(segment_distance(x, y, a, b) for a, b in segments) - half

        self.fill(bounds, distance, color)


def gradient(top: float, bottom: float) -> Paint:
    def color(_x: float, y: float) -> Color:
        t = min(1.0, max(0.0, (y - top) / (bottom - top)))
        return tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True))

    return color


def draw_mark(canvas: Canvas, left: float, top: float, size: float) -> None:
    """The rounded square with a white waveform."""
    box = (left, top, left + size, top + size)
    radius = size * 0.22
    canvas.fill(
        (math.floor(left), math.floor(top), math.ceil(left + size), math.ceil(top + size)),
        lambda x, y: rounded_rect_distance(x, y, box, radius),
        gradient(top, top + size),
    )
    bar_width = size * 0.075
    gap = size * 0.105
    full = size * 0.56
    centre_y = top + size / 2
    first_x = left + size / 2 - gap * (len(BARS) - 1) / 2
    for i, share in enumerate(BARS):
        x = first_x + i * gap
        half = max(full * share / 2 - bar_width / 2, 0.0)
        canvas.stroke([(x, centre_y - half), (x, centre_y + half)], bar_width, WHITE)


def arc(cx: float, cy: float, r: float, start: float, end: float, steps: int = 24) -> list[Point]:
    return [
        (
            cx + r * math.cos(start + (end - start) * i / steps),
            cy + r * math.sin(start + (end - start) * i / steps),
        )
        for i in range(steps + 1)
    ]


def draw_word(
    canvas: Canvas, left: float, baseline: float, x_height: float, weight: float
) -> float:
    """'kokoro' in a rounded, geometric hand; returns the right edge."""
    ascender = x_height * 1.55
    o_radius = x_height / 2 - weight / 2
    x = left

    def letter_k(x: float) -> float:
        top = baseline - ascender
        canvas.stroke([(x, top), (x, baseline)], weight, TEXT)
        join = (x + weight * 0.2, baseline - x_height * 0.42)
        canvas.stroke([(x + x_height * 0.62, baseline - x_height), join], weight, TEXT)
        canvas.stroke(
            [(x + x_height * 0.28, baseline - x_height * 0.58), (x + x_height * 0.66, baseline)],
            weight,
            TEXT,
        )
        return x + x_height * 0.66 + weight * 1.6

    def letter_o(x: float) -> float:
        cx = x + o_radius
        cy = baseline - x_height / 2
        canvas.stroke(arc(cx, cy, o_radius, 0, 2 * math.pi, 64), weight, TEXT)
        return x + 2 * o_radius + weight * 1.6

    def letter_r(x: float) -> float:
        canvas.stroke([(x, baseline - x_height), (x, baseline)], weight, TEXT)
        r = x_height * 0.5
        canvas.stroke(
            arc(x + r, baseline - x_height + r, r, math.pi, math.pi * 1.62, 16), weight, TEXT
        )
        return x + r * 1.2 + weight * 1.6

    x += weight / 2
    for draw in (letter_k, letter_o, letter_k, letter_o, letter_r, letter_o):
        x = draw(x)
    return x - weight * 1.1


def make_icon() -> bytes:
    canvas = Canvas(256, 256)
    draw_mark(canvas, 8, 8, 240)
    return png_bytes(canvas.width, canvas.height, canvas.pixels)


def make_logo() -> bytes:
    canvas = Canvas(250, 100)
    draw_mark(canvas, 6, 12, 76)
    right = draw_word(canvas, left=94, baseline=64, x_height=22, weight=5.5)
    assert right < canvas.width - 2, f"the word runs off the logo ({right:.1f})"
    return png_bytes(canvas.width, canvas.height, canvas.pixels)


def main() -> None:
    (ADDON_DIR / "icon.png").write_bytes(make_icon())
    (ADDON_DIR / "logo.png").write_bytes(make_logo())


if __name__ == "__main__":
    main()
