"""Line charts as hand-written SVG (no plotting library: matplotlib is not a dependency)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    #: a step line (counts that change at events) instead of straight segments
    step: bool = False
    dashed: bool = False


def _nice_step(span: float, ticks: int = 6) -> float:
    """A round tick distance (1, 2, 2.5 or 5 times a power of ten) for ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:g}"


def downsample(
    points: Sequence[tuple[float, float]], limit: int = 400
) -> list[tuple[float, float]]:
    """At most ``limit`` points, keeping the first and the last."""
    if len(points) <= limit:
        return list(points)
    stride = len(points) / (limit - 1)
    picked = [points[int(i * stride)] for i in range(limit - 1)]
    picked.append(points[-1])
    return picked


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    width: int = 760,
    height: int = 400,
    y_from_zero: bool = True,
) -> str:
    """An SVG document: axes with round ticks, one polyline per series, a legend."""
    left, right, top = 70, 20, 40
    bottom = 60 + 18 * math.ceil(len(series) / 2)  # x label, then the legend in two columns
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points] or [0.0, 1.0]
    x_lo, x_hi = min(0.0, min(xs)), max(xs)
    y_lo, y_hi = (0.0 if y_from_zero else min(ys)), max(ys)
    if x_hi <= x_lo:
        x_hi = x_lo + 1
    if y_hi <= y_lo:
        y_hi = y_lo + 1
    x_step, y_step = _nice_step(x_hi - x_lo), _nice_step(y_hi - y_lo)
    x_hi = math.ceil(x_hi / x_step) * x_step
    y_lo = math.floor(y_lo / y_step) * y_step
    y_hi = math.ceil(y_hi / y_step) * y_step

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    tick = x_lo
    while tick <= x_hi + x_step / 1000:
        x = px(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{_fmt(tick)}</text>'
        )
        tick += x_step
    tick = y_lo
    while tick <= y_hi + y_step / 1000:
        y = py(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
        tick += y_step
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>'
    )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 36}" text-anchor="middle">'
        f"{escape(xlabel)}</text>"
    )
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2})">{escape(ylabel)}</text>'
    )
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        coords: list[str] = []
        previous: tuple[float, float] | None = None
        for x, y in one.points:
            if one.step and previous is not None:
                coords.append(f"{px(x):.1f},{py(previous[1]):.1f}")
            coords.append(f"{px(x):.1f},{py(y):.1f}")
            previous = (x, y)
        dash = ' stroke-dasharray="6 4"' if one.dashed else ""
        if coords:
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} '
                f'points="{" ".join(coords)}"/>'
            )
        legend_x = left + (index % 2) * plot_w / 2
        legend_y = top + plot_h + 58 + 18 * (index // 2)
        out.append(
            f'<line x1="{legend_x:.1f}" y1="{legend_y - 4}" x2="{legend_x + 24:.1f}" '
            f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{legend_x + 30:.1f}" y="{legend_y}">{escape(one.label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
