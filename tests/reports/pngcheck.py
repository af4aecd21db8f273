"""Is a PNG a real picture? Its size, and enough distinct colours that it is not blank."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib import image as mpimg


def png_summary(data: bytes | Path) -> tuple[int, int, int, float]:
    """(width, height, distinct colours in a sample, share of non-white pixels)."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pixels = mpimg.imread(io.BytesIO(raw), format="png")
    height, width = pixels.shape[:2]
    flat = pixels.reshape(-1, pixels.shape[2])[:, :3]
    colours = len({tuple(p) for p in flat[::5].tolist()})
    non_white = float((flat.min(axis=1) < 0.95).mean())
    return width, height, colours, non_white


def assert_not_blank(data: bytes | Path, min_width: int = 600, min_height: int = 300) -> None:
    width, height, colours, non_white = png_summary(data)
    assert width >= min_width and height >= min_height, (width, height)
    assert colours > 20, f"only {colours} colours: blank or nearly so"
    assert non_white > 0.01, f"only {non_white:.2%} of the pixels are not white"
