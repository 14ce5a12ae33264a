"""What `actors/picture_files.py` keeps of an uploaded file: its pixels only, upright, resized,
in the format it came in; and what it refuses, from the bytes alone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from actors.errors import Invalid
from actors.picture_files import MAX_EDGE, THUMBNAIL_EDGE, clean, detected_type
from node.cli import main
from node.settings import SettingsError, load

LIMIT = 8 * 1024 * 1024


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def test_a_webp_stays_webp_and_is_resized_with_a_thumbnail() -> None:
    picture = clean(encoded(Image.new("RGB", (3200, 800), (1, 2, 3)), "WEBP"), LIMIT)
    assert picture.media_type == "image/webp"
    assert (picture.full.width, picture.full.height) == (MAX_EDGE, 400)
    assert (picture.thumbnail.width, picture.thumbnail.height) == (THUMBNAIL_EDGE, 80)
    assert detected_type(picture.full.data) == "image/webp"


def test_a_photo_is_turned_upright_and_its_orientation_tag_dropped() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # taken sideways: turn 90° clockwise to show
    data = encoded(Image.new("RGB", (400, 300), (9, 9, 9)), "JPEG", exif=exif)
    picture = clean(data, LIMIT)
    with Image.open(io.BytesIO(picture.full.data)) as shown:
        assert shown.size == (300, 400) and len(shown.getexif()) == 0


def test_an_icc_profile_and_png_text_are_gone() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "PLANTED-PNG-TEXT")
    data = encoded(Image.new("RGBA", (50, 40)), "PNG", icc_profile=profile, pnginfo=text)
    assert b"PLANTED-PNG-TEXT" in data
    picture = clean(data, LIMIT)
    assert b"PLANTED-PNG-TEXT" not in picture.full.data + picture.thumbnail.data
    with Image.open(io.BytesIO(picture.full.data)) as shown:
        assert shown.mode == "RGBA" and "icc_profile" not in shown.info


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * 100, "JPEG, PNG or WebP"),
        (b"%PDF-1.7\n" + b"x" * 100, "JPEG, PNG or WebP"),
        (b"", "empty"),
        (b"\xff" * (LIMIT + 1), "smaller than 8 MB"),
    ],
)
def test_what_is_not_a_picture_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(Invalid, match=message) as refused:
        clean(data, LIMIT)
    assert refused.value.field == "picture"


def test_a_gif_is_refused_even_when_it_is_a_real_picture() -> None:
    with pytest.raises(Invalid, match="JPEG, PNG or WebP"):
        clean(encoded(Image.new("P", (10, 10)), "GIF"), LIMIT)


def test_the_picture_limits_are_settings(tmp_path: Path) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    assert load(node, environ={}).picture_max_bytes == LIMIT
    with (node / "sharon.toml").open("a") as config:
        config.write("picture_max_bytes = 2000000\n")
    settings = load(node, environ={"SHARON_PICTURE_CACHE_BYTES": "1000000"})
    assert (settings.picture_max_bytes, settings.picture_cache_bytes) == (2_000_000, 1_000_000)
    with pytest.raises(SettingsError, match="picture_max_bytes"):
        load(node, environ={"SHARON_PICTURE_MAX_BYTES": "0"})
