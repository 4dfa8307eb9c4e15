"""The charts of a run, made small without changing a pixel, and told apart from other pictures.

vl-convert writes every chart as a 2× RGBA PNG (2560 px wide for a 1280×720 slide: sharp on a projector
and in print) with light compression; a chart is opaque and has a few hundred colours at most, so the
same picture fits in a palette PNG of a fifth to a tenth of the size.  :func:`compact_png` does that
and checks the result pixel for pixel; :func:`compact_run` applies it to a run's notebook outputs and
the chart files saved next to them, and says which output is which saved chart (the PDF draws that
chart from its SVG, and the page names the picture after it).
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

PNG = "image/png"


def compact_png(data: bytes) -> bytes:
    """``data`` (a PNG) re-encoded as small as it goes without loss: an opaque image without its alpha
    channel, as a palette image when it has at most 256 colours.  The decoded pixels are identical;
    anything else (an unreadable file, a translucent image) comes back unchanged."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
        if img.mode not in ("RGB", "RGBA"):  # known from the header: a palette chart is left undecoded
            return data
        img.load()
    except Exception:  # noqa: BLE001 — not a picture Pillow reads: leave it as it is
        return data
    if img.mode == "RGBA" and img.getchannel("A").getextrema() != (255, 255):
        return data
    out = _exact_palette(img.convert("RGBA") if img.mode == "RGB" else img) or img.convert("RGB")
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=6)
    small = buf.getvalue()
    return small if len(small) < len(data) else data


def _exact_palette(img: Any) -> Any:
    """An opaque RGBA image of at most 256 colours as a palette image of exactly those colours (each
    pixel's index found by binary search among the sorted colours: no colour is merged or moved, as a
    quantizer's median cut may), or None when it has more colours."""
    import numpy as np
    from PIL import Image

    colours = img.getcolors(256)
    if colours is None:
        return None
    pixels = np.frombuffer(img.tobytes(), dtype="<u4")  # R | G << 8 | B << 16 | A << 24
    keys = np.sort(np.array([r | g << 8 | b << 16 | a << 24 for _, (r, g, b, a) in colours], dtype="<u4"))
    index = np.searchsorted(keys, pixels).astype(np.uint8)
    out = Image.frombytes("P", img.size, index.tobytes())
    rgb = np.stack([keys & 255, (keys >> 8) & 255, (keys >> 16) & 255], axis=1).astype(np.uint8)
    out.putpalette(rgb.tobytes())
    return out


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compact_run(nb: Any, charts_dir: Path | None) -> dict[str, Path]:
    """Compact the PNG outputs of the executed notebook ``nb`` (in place) and the PNG files of
    ``charts_dir`` (rewritten), each picture once.

    Returns ``{digest of the compacted PNG: chart file}`` for every chart file, so an output that is a
    saved chart (``charts.show(chart, folder, name)`` shows the very file it writes) can be found by
    its bytes."""
    done: dict[str, bytes] = {}  # digest of the original -> compacted bytes

    def small(data: bytes) -> bytes:
        key = digest(data)
        if key not in done:
            done[key] = compact_png(data)
        return done[key]

    charts: dict[str, Path] = {}
    if charts_dir is not None and charts_dir.is_dir():
        for path in sorted(charts_dir.glob("*.png")):
            data = path.read_bytes()
            packed = small(data)
            if packed is not data:
                path.write_bytes(packed)
            charts[digest(packed)] = path
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            encoded = out.get("data", {}).get(PNG)
            if isinstance(encoded, str):
                packed = small(base64.b64decode(encoded))
                out["data"][PNG] = base64.b64encode(packed).decode("ascii")
    return charts
