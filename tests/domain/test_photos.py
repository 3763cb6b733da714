"""Photo checks, GPS reading and metadata stripping; pure, no app, no database."""
from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from relief.domain.photos import GPS_IFD, PhotoInfo, inspect_photo, prepare_photo, public_copy, thumbnail
from relief.domain.standards import Standards
from relief.errors import PayloadTooLarge, UnsupportedMedia

FORMATS = ["JPEG", "PNG", "WEBP"]
MAX = 10 * 1024 * 1024
STANDARDS = Standards.bundled()
# Enshi city: 30°16'48.48" N, 109°28'48" E
LAT, LON = 30 + 16 / 60 + 48.48 / 3600, 109 + 28 / 60 + 48 / 3600


def gps_exif(lat_ref="N", lon_ref="E", orientation=None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({
        1: lat_ref, 2: (IFDRational(30), IFDRational(16), IFDRational(4848, 100)),
        3: lon_ref, 4: (IFDRational(109), IFDRational(28), IFDRational(48)),
    })
    return exif


def image_bytes(fmt="JPEG", size=(64, 32), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 255)[: len(mode)] if mode != "L" else 128).save(out, fmt, **save)
    return out.getvalue()


def inspect(data, **kw):
    kw.setdefault("max_bytes", MAX)
    kw.setdefault("formats", FORMATS)
    kw.setdefault("standards", STANDARDS)
    return inspect_photo(data, **kw)


def test_gps_is_read_from_exif():
    info = inspect(image_bytes(exif=gps_exif()))
    assert info == PhotoInfo("JPEG", 64, 32, pytest.approx(LAT), pytest.approx(LON))


def test_southern_and_western_refs_are_negative():
    info = inspect(image_bytes(exif=gps_exif("S", "W")))
    assert info.lat == pytest.approx(-LAT) and info.lon == pytest.approx(-LON)


def test_no_exif_means_no_position():
    info = inspect(image_bytes("PNG"))
    assert (info.format, info.lat, info.lon) == ("PNG", None, None)


def test_orientation_swaps_displayed_size():
    info = inspect(image_bytes(exif=gps_exif(orientation=6)))
    assert (info.width, info.height) == (32, 64)


def test_renamed_text_file_is_refused():
    with pytest.raises(UnsupportedMedia) as err:
        inspect(b"this is not a photo, just text saved as photo.jpg\n" * 10)
    assert err.value.field == "photo"


def test_truncated_jpeg_is_refused():
    data = image_bytes(size=(256, 256))
    with pytest.raises(UnsupportedMedia):
        inspect(data[: len(data) // 3])


def test_format_not_allowed_is_refused():
    with pytest.raises(UnsupportedMedia):
        inspect(image_bytes("GIF"))
    with pytest.raises(UnsupportedMedia):
        inspect(image_bytes("PNG"), formats=["JPEG"])


def test_too_large_is_refused_before_decoding():
    data = image_bytes()
    with pytest.raises(PayloadTooLarge) as err:
        inspect(data, max_bytes=len(data) - 1)
    assert err.value.field == "photo"
    assert inspect(data, max_bytes=len(data)).format == "JPEG"


def test_empty_upload_refused():
    with pytest.raises(UnsupportedMedia):
        inspect(b"")


def test_defaults_come_from_standards():
    assert inspect_photo(image_bytes("WEBP"), standards=STANDARDS).format == "WEBP"
    webp_refused = Standards({**STANDARDS.document, "photos": {**STANDARDS.photos, "formats": ["JPEG", "PNG"]}})
    with pytest.raises(UnsupportedMedia):
        inspect_photo(image_bytes("WEBP"), standards=webp_refused)


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as im:
        return bool(im.getexif().get_ifd(GPS_IFD))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_public_copy_has_no_exif_or_gps(fmt):
    original = image_bytes(fmt, exif=gps_exif())
    assert has_gps(original)
    copy = public_copy(original, standards=STANDARDS)
    assert not has_gps(copy)
    with Image.open(io.BytesIO(copy)) as im:
        assert im.format == fmt
        assert len(im.getexif()) == 0
        assert "exif" not in im.info
    assert inspect(copy).lat is None


def test_public_copy_drops_comments_and_applies_orientation():
    original = image_bytes(exif=gps_exif(orientation=6), comment=b"taken by Zhang San 13800000000")
    copy = public_copy(original, standards=STANDARDS)
    assert b"Zhang San" not in copy and b"PhoneMaker" not in copy
    with Image.open(io.BytesIO(copy)) as im:
        assert im.size == (32, 64)


@pytest.mark.parametrize("size,px,expected", [((640, 320), 320, (320, 160)), ((100, 400), 200, (50, 200)),
                                              ((64, 32), 320, (64, 32))])
def test_thumbnail_size_and_jpeg(size, px, expected):
    thumb = thumbnail(image_bytes(size=size, exif=gps_exif()), px, standards=STANDARDS)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "JPEG" and im.size == expected
    assert not has_gps(thumb)


def test_thumbnail_of_transparent_png():
    thumb = thumbnail(image_bytes("PNG", size=(400, 400), mode="RGBA"), 100, standards=STANDARDS)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.mode == "RGB" and im.size == (100, 100)


def test_copies_refuse_non_images():
    with pytest.raises(UnsupportedMedia):
        public_copy(b"GIF89a but not really", standards=STANDARDS)
    with pytest.raises(UnsupportedMedia):
        thumbnail(b"%PDF-1.4", 100, standards=STANDARDS)


# --- pixels, not only bytes -----------------------------------------------------------------

@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """9400 × 9400 pixels in about 10 KB: the byte limit alone lets it through."""
    out = io.BytesIO()
    Image.new("1", (9400, 9400), 0).save(out, "PNG")
    return out.getvalue()


def declared_png(width: int, height: int) -> bytes:
    """A 1 × 1 PNG whose header claims ``width`` × ``height`` (its pixel data does not match: never decoded)."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4: ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17: ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr: ihdr + 17])))
    return bytes(data)


def test_too_many_pixels_are_refused_from_the_header_before_decoding(huge_png):
    assert len(huge_png) < MAX
    started = time.perf_counter()
    for check in (lambda: inspect(huge_png), lambda: public_copy(huge_png, standards=STANDARDS),
                  lambda: thumbnail(huge_png, 100, standards=STANDARDS),
                  lambda: prepare_photo(huge_png, standards=STANDARDS)):
        with pytest.raises(PayloadTooLarge) as err:
            check()
        assert err.value.field == "photo" and "9400 × 9400" in err.value.message
    assert time.perf_counter() - started < 0.5  # decoding it would take seconds and a gigabyte


def test_the_pixel_limit_comes_from_the_standards_and_can_be_given():
    assert STANDARDS.photos["max_pixels"] == 40_000_000
    assert inspect(image_bytes(size=(64, 32)), max_pixels=64 * 32).width == 64
    with pytest.raises(PayloadTooLarge):
        inspect(image_bytes(size=(64, 32)), max_pixels=64 * 32 - 1)
    with pytest.raises(PayloadTooLarge):
        inspect(declared_png(8000, 5001))  # 40.008 megapixels: over the bundled limit


def test_pillows_own_bomb_guard_stays_behind_the_limit():
    """With the limit set absurdly high, Pillow's guard (its warning made an error) still answers 413."""
    with pytest.raises(PayloadTooLarge) as err:
        inspect(declared_png(20_000, 20_000), max_pixels=10**12)
    assert err.value.field == "photo"


def test_one_decode_gives_the_info_the_public_copy_and_the_thumbnail():
    original = image_bytes(size=(640, 320), exif=gps_exif(orientation=6))
    info, public, thumb = prepare_photo(original, standards=STANDARDS, max_bytes=MAX, formats=FORMATS, thumbnail_px=100)
    assert info == inspect(original)
    assert public == public_copy(original, standards=STANDARDS)
    assert thumb == thumbnail(original, 100, standards=STANDARDS)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.size == (50, 100)
