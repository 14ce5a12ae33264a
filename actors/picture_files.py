"""Turning an uploaded file into a picture safe to show: what it is, from its bytes alone.

A picture a person attaches to a post is trusted for nothing. Its type is what Pillow finds in
its bytes (JPEG, PNG or WebP only — never the file name or the browser's Content-Type); one
whose header promises more pixels than Pillow's `MAX_IMAGE_PIXELS` (a decompression bomb) is
refused, as an error and not a warning, before any pixel is decoded; a truncated or corrupt one
is refused when it is decoded. What is kept is not the file but its pixels, drawn into a new
image turned upright by its EXIF orientation and re-encoded by Pillow: no EXIF (GPS position,
camera, time), XMP, ICC profile, comment or anything else of the original survives. It is
resized to `MAX_EDGE` pixels at most, with a thumbnail of `THUMBNAIL_EDGE`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from math import ceil

from PIL import Image, ImageOps, UnidentifiedImageError

from actors.errors import Invalid

MAX_EDGE = 1600
THUMBNAIL_EDGE = 320
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
MAX_ALT_LENGTH = 1000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PICTURE_FIELD = "picture"
ALT_FIELD = "picture_alt"


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class CleanPicture:
    """A picture as it will be stored and served: re-encoded, without metadata."""

    media_type: str
    full: Encoded
    thumbnail: Encoded


@dataclass(frozen=True)
class PictureInfo:
    """What a page needs to show a post's picture (never its bytes): its description for
    people who cannot see it, its size, and — for a post at another node — where its home
    serves it (to signed requests only)."""

    alt: str
    media_type: str
    width: int
    height: int
    thumbnail_width: int
    thumbnail_height: int
    url: str = ""
    thumbnail_url: str = ""


@dataclass(frozen=True)
class NewPicture:
    """A cleaned picture with its description, ready to be kept with a post."""

    picture: CleanPicture
    alt: str


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def too_large(max_bytes: int) -> Invalid:
    return Invalid(
        f"The picture must be smaller than {megabytes(max_bytes)}. "
        "Choose a smaller picture, or take a screenshot of it.",
        PICTURE_FIELD,
    )


def _not_a_picture() -> Invalid:
    return Invalid("The picture must be a JPEG, PNG or WebP image.", PICTURE_FIELD)


def _too_many_pixels() -> Invalid:
    return Invalid(
        "The picture has too many pixels to open safely. Choose a smaller picture.", PICTURE_FIELD
    )


def _damaged() -> Invalid:
    return Invalid(
        "The picture could not be read: the file may be damaged or incomplete. "
        "Try saving it again.",
        PICTURE_FIELD,
    )


def clean(data: bytes, max_bytes: int) -> CleanPicture:
    """The picture in `data`, re-encoded without metadata; Invalid (for the `picture` field)
    saying what is wrong otherwise. CPU-bound: run it in a thread."""
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    if not data:
        raise Invalid("The picture file is empty.", PICTURE_FIELD)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                kind = probe.format or ""
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                _check_pixels(image)
                image.seek(0)  # an animation: its first frame only
                if kind == "JPEG":  # decode at the smallest scale still above MAX_EDGE
                    ratio = MAX_EDGE / max(image.size)
                    if ratio < 1:
                        image.draft("RGB", (ceil(image.width * ratio), ceil(image.height * ratio)))
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = _plain(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            raise _not_a_picture() from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError):
            raise _damaged() from None
    if kind not in FORMATS:
        raise _not_a_picture()
    full = _resized(pixels, MAX_EDGE)
    return CleanPicture(
        FORMATS[kind], _encoded(full, kind), _encoded(_resized(full, THUMBNAIL_EDGE), kind)
    )


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    limit = Image.MAX_IMAGE_PIXELS
    if width < 1 or height < 1 or (limit is not None and width * height > limit):
        raise _too_many_pixels()


def _plain(image: Image.Image) -> Image.Image:
    """The pixels alone, in a new image that carries no `info` (no EXIF, ICC, XMP, text)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    fresh = Image.new(mode, converted.size)
    fresh.paste(converted)
    return fresh


def _resized(pixels: Image.Image, edge: int) -> Image.Image:
    image = pixels.copy()
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return image


def _encoded(image: Image.Image, kind: str) -> Encoded:
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=85)
    return Encoded(out.getvalue(), image.width, image.height)


def detected_type(data: bytes) -> str | None:
    """The media type of a picture's bytes (header only), or None if not JPEG, PNG or WebP:
    for checking what another node serves before passing it on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                return FORMATS.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
