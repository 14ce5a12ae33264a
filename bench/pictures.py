"""What cleaning an uploaded picture costs: milliseconds per picture, and bytes kept.

Run from the project root: ``.venv/bin/python bench/pictures.py [--repeat N]``. Makes a 12
megapixel JPEG (a phone photo's size), a 4 megapixel PNG and a WebP in memory, cleans each
(`actors/picture_files.clean`: decode, turn upright, re-encode at 1600 px and 320 px) and
prints the time per picture and the sizes in and out. Prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from PIL import Image, ImageDraw

from actors.picture_files import DEFAULT_MAX_BYTES, clean


def _photo(width: int, height: int) -> Image.Image:
    base = Image.effect_noise((width, height), 40).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(0, width, 50):
        draw.line([(i, 0), (width - i, height)], fill=(200, (i * 3) % 255, 90), width=11)
    return base


def _encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, quality=90) if kind != "PNG" else image.save(out, kind)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    samples = {
        "JPEG 4000x3000": _encoded(_photo(4000, 3000), "JPEG"),
        "PNG 2000x2000": _encoded(_photo(2000, 2000), "PNG"),
        "WebP 3000x2000": _encoded(_photo(3000, 2000), "WEBP"),
    }
    for name, data in samples.items():
        if len(data) > DEFAULT_MAX_BYTES:
            print(f"{name}: {len(data) / 1e6:.1f} MB, over the default limit; skipped")
            continue
        start = time.perf_counter()
        for _ in range(repeat):
            picture = clean(data, DEFAULT_MAX_BYTES)
        each = (time.perf_counter() - start) / repeat * 1000
        print(
            f"{name}: {len(data) / 1e6:.1f} MB in, {each:.0f} ms per picture, kept "
            f"{len(picture.full.data) / 1e3:.0f} kB + {len(picture.thumbnail.data) / 1e3:.0f} kB"
        )


if __name__ == "__main__":
    main()
