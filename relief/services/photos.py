"""Field photos: check, write the three files, record them, and hand them back out.

Files are written *before* the database row, under names made from the
original's SHA-256, so a crash between the two leaves at most an orphan file
(harmless, and reused if the same photo comes again), never a row without
its files. The public copy and thumbnail carry no location; the position
stays on the :class:`Photo` row for staff.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from relief.domain.photos import prepare_photo
from relief.domain.roles import may
from relief.domain.standards import Standards
from relief.errors import Forbidden, NotAuthenticated, NotFound, PayloadTooLarge, UnsupportedMedia, ValidationFailed
from relief.services.context import Context
from relief.store import incidents as store

if TYPE_CHECKING:
    from relief.store.tables import Photo

MAX_PHOTOS_PER_REPORT = 10
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MIMETYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
VARIANTS = ("public", "thumb", "original")


@dataclass(frozen=True)
class Upload:
    """One photo as received; ``field`` names it in errors (``photos[0]``)."""

    field: str
    filename: str | None
    data: bytes


@dataclass(frozen=True)
class StoredPhoto:
    """A checked photo whose files are on disk, ready to become a row."""

    sha256: str
    format: str
    width: int
    height: int
    size_bytes: int
    lat: float | None
    lon: float | None
    original_path: str
    public_path: str
    thumb_path: str


def decode_base64(items: Any) -> list[Upload]:
    """Photos sent inside JSON: strings (optionally ``data:image/...;base64,``) or ``{"name", "data"}``."""
    if items in (None, ""):
        return []
    if not isinstance(items, list):
        raise ValidationFailed("photos must be a list of base64 images", field="photos")
    uploads = []
    for i, item in enumerate(items):
        name, data = ((item.get("name") or item.get("filename"), item.get("data")) if isinstance(item, dict)
                      else (None, item))
        if not isinstance(data, str):
            raise ValidationFailed("each photo must be base64 text", field=f"photos[{i}]")
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("the photo is not valid base64", field=f"photos[{i}]") from None
        uploads.append(Upload(f"photos[{i}]", name, raw))
    return uploads


def _checked(upload: Upload, standards: Standards) -> tuple[Any, bytes, bytes]:
    """Info, public copy and thumbnail from one decode, by the ``photos`` figures of ``standards``."""
    try:
        return prepare_photo(upload.data, standards=standards)
    except (UnsupportedMedia, PayloadTooLarge) as error:
        label = f"{upload.field} ({upload.filename})" if upload.filename else upload.field
        raise type(error)(f"{label}: {error.message}", field=upload.field) from None


def _write_once(root: Path, relative: str, data: bytes) -> None:
    """Write atomically; a file already there has the same content (its name is its hash)."""
    target = root / relative
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def photo_root(ctx: Context) -> Path:
    return Path(ctx.settings["PHOTO_DIR"])


def store_files(ctx: Context, uploads: Iterable[Upload]) -> list[StoredPhoto]:
    """Check every photo first (one bad photo refuses the report), then write their files."""
    uploads = list(uploads)
    if len(uploads) > MAX_PHOTOS_PER_REPORT:
        raise ValidationFailed(f"at most {MAX_PHOTOS_PER_REPORT} photos per report", field="photos")
    if not uploads:
        return []
    return ctx.offload(_check_and_write, uploads, ctx.standards, photo_root(ctx))


def _check_and_write(uploads: list[Upload], standards: Standards, root: Path) -> list[StoredPhoto]:
    """The image work itself: plain data in and out, so it can run on another thread."""
    checked = [(upload, *_checked(upload, standards)) for upload in uploads]
    stored = []
    for upload, info, public, thumb in checked:
        digest = hashlib.sha256(upload.data).hexdigest()
        folder = digest[:2]
        ext = EXTENSIONS[info.format]
        paths = {"original_path": f"{folder}/{digest}.{ext}", "public_path": f"{folder}/{digest}.public.{ext}",
                 "thumb_path": f"{folder}/{digest}.thumb.jpg"}
        for key, data in (("original_path", upload.data), ("public_path", public), ("thumb_path", thumb)):
            _write_once(root, paths[key], data)
        stored.append(StoredPhoto(digest, info.format, info.width, info.height, len(upload.data), info.lat, info.lon,
                                  **paths))
    return stored


def add_rows(session, stored: Iterable[StoredPhoto], *, incident_id: int, field_report_id: int | None,
             fallback: tuple[float, float] | None, at) -> list[Photo]:
    """Photo rows; a photo without GPS in its EXIF takes the report's position (lat, lon)."""
    added = []
    for photo in stored:
        lat, lon = (photo.lat, photo.lon) if photo.lat is not None else (fallback or (None, None))
        added.append(store.add_photo(
            session, field_report_id=field_report_id, incident_id=incident_id, sha256=photo.sha256,
            format=photo.format, width=photo.width, height=photo.height, size_bytes=photo.size_bytes, lat=lat,
            lon=lon, original_path=photo.original_path, public_path=photo.public_path, thumb_path=photo.thumb_path,
            created_at=at))
    return added


def view(photo: Photo, *, staff: bool) -> dict[str, Any]:
    """A photo in API answers; position and the original only for staff."""
    out: dict[str, Any] = {
        "id": photo.id, "field_report_id": photo.field_report_id, "format": photo.format,
        "width": photo.width, "height": photo.height,
        "public_url": f"/api/photos/{photo.id}/public", "thumb_url": f"/api/photos/{photo.id}/thumb",
    }
    if staff:
        out.update(lat=photo.lat, lon=photo.lon, size_bytes=photo.size_bytes, sha256=photo.sha256,
                   original_url=f"/api/photos/{photo.id}/original")
    return out


def photo_file(ctx: Context, photo_id: int, variant: str) -> tuple[Path, str]:
    """``(path, mimetype)`` of one stored file; the original (with its GPS) only for staff."""
    if variant not in VARIANTS:
        raise NotFound(f"no photo variant {variant!r}; expected one of {', '.join(VARIANTS)}", field="variant")
    if variant == "original":
        if ctx.actor.id is None:
            raise NotAuthenticated("the original photo is for staff: log in or send a token")
        if not may(ctx.actor.role, "staff.read"):
            raise Forbidden(f"role {ctx.actor.role!r} may not see original photos")
    with ctx.reading() as session:
        photo = store.photo(session, photo_id)
        if photo is None:
            raise NotFound(f"no photo {photo_id}")
        relative = {"public": photo.public_path, "thumb": photo.thumb_path, "original": photo.original_path}[variant]
        fmt = photo.format
    path = photo_root(ctx) / relative
    if not path.is_file():
        raise NotFound(f"photo {photo_id} has no {variant} file on this server")
    return path, "image/jpeg" if variant == "thumb" else MIMETYPES.get(fmt, "application/octet-stream")
