"""Checking field photos and making the copies relief shows.

A photo from a phone carries where it was taken. Relief keeps that location
with the record (it places the photo on the map) but never publishes it:
everything shown comes from :func:`public_copy` or :func:`thumbnail`, which
re-encode the pixels without EXIF, XMP or comments. Anything Pillow cannot
decode as one of the allowed formats is refused, whatever its file name says.
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from PIL import Image, ImageOps

from relief.domain.standards import Standards
from relief.errors import PayloadTooLarge, UnsupportedMedia, ValidationFailed

GPS_IFD = 0x8825
ORIENTATION = 0x0112
#: Orientations that turn the picture a quarter, swapping width and height.
QUARTER_TURNS = frozenset({5, 6, 7, 8})
#: Pillow names some phone JPEGs (multi-picture) MPO; they are JPEGs to us.
FORMAT_ALIASES = {"MPO": "JPEG"}
#: Modes each output format can store; others are converted.
SAVE_MODES = {"JPEG": ("RGB", "L", "CMYK"), "WEBP": ("RGB", "RGBA"), "PNG": None}
JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 85


@dataclass(frozen=True)
class PhotoInfo:
    """What a checked photo is: format, displayed size, and where it was taken if known."""

    format: str
    width: int
    height: int
    lat: float | None = None
    lon: float | None = None


def _photo_settings(standards: Standards) -> Mapping[str, Any]:
    """The ``photos`` section of the standards in force (the caller's, never a bundled copy)."""
    return standards.photos


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Refuse by the header's width × height, before a single pixel is decoded.

    A few hundred kilobytes of PNG can declare 9400 × 9400 pixels, which take
    seconds and a gigabyte to decode (and three copies to make the public
    copy and thumbnail); the byte limit alone does not see it.
    """
    width, height = size
    if width * height > max_pixels:
        raise PayloadTooLarge(f"the image is {width} × {height} pixels ({width * height / 1e6:.1f} megapixels); "
                              f"the limit is {max_pixels / 1e6:g} megapixels", field="photo")


def _open(data: bytes, standards: Standards, formats: Iterable[str] | None = None,
          max_pixels: int | None = None) -> Image.Image:
    """Check the declared size, verify and fully decode; refuse anything that is not an allowed image.

    Pillow's own decompression-bomb guard stays on behind :func:`_check_pixels`
    (its warning is made an error); either way the answer is
    :class:`PayloadTooLarge`.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise UnsupportedMedia("the upload is empty or not a file", field="photo")
    allowed = [f.upper() for f in (formats if formats is not None else _photo_settings(standards)["formats"])]
    limit = int(max_pixels if max_pixels is not None else _photo_settings(standards)["max_pixels"])
    open_with = allowed + [alias for alias, real in FORMAT_ALIASES.items() if real in allowed]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=open_with) as probe:  # reads the header only
                _check_pixels(probe.size, limit)
                probe.verify()  # checks structure; the image is unusable afterwards
            image = Image.open(io.BytesIO(data), formats=open_with)
            image.load()
    except PayloadTooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge("the image has too many pixels", field="photo") from None
    except Exception:  # Pillow raises many kinds on hostile input; all mean "not an image we take"
        raise UnsupportedMedia(f"not a readable image; allowed formats: {', '.join(allowed)}", field="photo") from None
    fmt = FORMAT_ALIASES.get(image.format, image.format)
    if fmt not in allowed:
        raise UnsupportedMedia(f"{fmt} images are not accepted; allowed formats: {', '.join(allowed)}", field="photo")
    return image


def _format(image: Image.Image) -> str:
    return FORMAT_ALIASES.get(image.format or "", image.format or "JPEG")


def _degrees(values: Any, ref: Any, negative: str) -> float | None:
    """EXIF degrees/minutes/seconds rationals and an N/S/E/W ref as signed degrees."""
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(x) for x in (d, m, s)):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    sign = -1.0 if str(ref or "").strip("\x00 ").upper() == negative else 1.0
    return sign * (d + m / 60 + s / 3600)


def gps_position(image: Image.Image) -> tuple[float | None, float | None]:
    """(lat, lon) from the EXIF GPS block, or (None, None).

    Out-of-range values and an exact (0, 0), which phones write when they had
    no fix, count as unknown.
    """
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # a malformed EXIF block only loses the location
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lon = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def inspect_photo(data: bytes, *, standards: Standards, max_bytes: int | None = None,
                  formats: Iterable[str] | None = None, max_pixels: int | None = None) -> PhotoInfo:
    """Check an upload and read what relief records about it.

    Raises :class:`PayloadTooLarge` over ``max_bytes`` or ``max_pixels``
    and :class:`UnsupportedMedia` when Pillow cannot decode it as one of
    ``formats``. Limits not given come from the ``photos`` section of ``standards``.
    Width and height are as displayed, after the EXIF orientation.
    """
    _check_bytes(data, max_bytes, standards)
    with _open(data, standards, formats, max_pixels) as image:
        return _info(image)


def prepare_photo(data: bytes, *, standards: Standards, max_bytes: int | None = None,
                  formats: Iterable[str] | None = None, max_pixels: int | None = None,
                  thumbnail_px: int | None = None) -> tuple[PhotoInfo, bytes, bytes]:
    """:func:`inspect_photo`, :func:`public_copy` and :func:`thumbnail` from one decode of the pixels."""
    px = _thumbnail_px(thumbnail_px, standards)
    _check_bytes(data, max_bytes, standards)
    with _open(data, standards, formats, max_pixels) as image:
        info, fmt = _info(image), _format(image)
        clean = _upright_clean(image)
    return info, _public_bytes(clean, fmt), _thumbnail_bytes(clean, px)


def _check_bytes(data: bytes, max_bytes: int | None, standards: Standards) -> None:
    if max_bytes is None:
        max_bytes = int(_photo_settings(standards)["max_bytes"])
    size = len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0
    if size > max_bytes:
        raise PayloadTooLarge(f"the photo is {size} bytes; the limit is {max_bytes}", field="photo")


def _info(image: Image.Image) -> PhotoInfo:
    width, height = image.size
    try:
        turned = image.getexif().get(ORIENTATION) in QUARTER_TURNS
    except Exception:
        turned = False
    if turned:
        width, height = height, width
    lat, lon = gps_position(image)
    return PhotoInfo(_format(image), width, height, lat, lon)


def _upright_clean(image: Image.Image) -> Image.Image:
    """The pixels turned upright, with every metadata block dropped (ICC colour kept)."""
    upright = ImageOps.exif_transpose(image) or image.copy()
    icc = image.info.get("icc_profile")
    upright.info = {"icc_profile": icc} if icc else {}
    return upright


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    modes = SAVE_MODES.get(fmt)
    if modes is not None and image.mode not in modes:
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha and "RGBA" in modes else "RGB")
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    image.save(out, fmt, **({"icc_profile": icc} if icc else {}), **options)
    return out.getvalue()


def public_copy(data: bytes, *, standards: Standards, formats: Iterable[str] | None = None,
                max_pixels: int | None = None) -> bytes:
    """The photo as relief publishes it: same format, upright, no EXIF/GPS/XMP/comments."""
    with _open(data, standards, formats, max_pixels) as image:
        fmt = _format(image)
        clean = _upright_clean(image)
    return _public_bytes(clean, fmt)


def _public_bytes(clean: Image.Image, fmt: str) -> bytes:
    options = {"quality": JPEG_QUALITY} if fmt in ("JPEG", "WEBP") else {}
    return _encode(clean, fmt, **options)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white, so transparent PNGs do not thumbnail to black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnail(data: bytes, px: int | None = None, *, standards: Standards, formats: Iterable[str] | None = None,
              max_pixels: int | None = None) -> bytes:
    """A JPEG no larger than ``px`` on its longer side (never enlarged), upright, without metadata."""
    px = _thumbnail_px(px, standards)
    with _open(data, standards, formats, max_pixels) as image:
        clean = _upright_clean(image)
    return _thumbnail_bytes(clean, px)


def _thumbnail_px(px: int | None, standards: Standards) -> int:
    if px is None:
        px = int(_photo_settings(standards)["thumbnail_px"])
    if px <= 0:
        raise ValidationFailed("thumbnail size must be a positive number of pixels", field="px")
    return px


def _thumbnail_bytes(clean: Image.Image, px: int) -> bytes:
    small = _flatten(clean)
    small.thumbnail((px, px))
    small.info = {}
    return _encode(small, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
