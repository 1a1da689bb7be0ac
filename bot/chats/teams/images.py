"""An image small enough to travel inline in a card: Teams refuses a message over about 28 KB, and an image in a
card may be a data: URL. The chart (a few colours on white) loses nothing visible to a 32-colour palette; it is
scaled down only if that is still too large."""

import io

from PIL import Image


def fitted_png(png: bytes, max_bytes: int) -> bytes:
    if len(png) <= max_bytes:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = 1.0
    while True:
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        resized = image if scale == 1.0 else image.resize(size, Image.LANCZOS)
        out = io.BytesIO()
        resized.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
        if out.tell() <= max_bytes or size[0] < 200:
            return out.getvalue()
        scale *= 0.8
