"""Photo uploads as a use case: every photo checked (pixels included) before any file is written."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image

from relief.domain.standards import Standards
from relief.errors import PayloadTooLarge
from relief.services import photos
from tests import world


def png(size, mode="1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def photo_ctx(store, tmp_path):
    return replace(world.context(store), settings={"PHOTO_DIR": str(tmp_path / "photos")})


def test_a_photo_with_too_many_pixels_is_refused_naming_it_and_nothing_is_written(photo_ctx, tmp_path):
    small, huge = png((64, 32), "RGB"), png((9400, 9400))
    with pytest.raises(PayloadTooLarge) as refused:
        photos.store_files(photo_ctx, [photos.Upload("photos[0]", "fine.png", small),
                                 photos.Upload("photos[1]", "bomb.png", huge)])
    assert refused.value.field == "photos[1]" and refused.value.status == 413
    assert refused.value.message.startswith("photos[1] (bomb.png): the image is 9400 × 9400 pixels")
    assert not (tmp_path / "photos").exists() or not any((tmp_path / "photos").rglob("*.*"))


def test_the_published_standards_pixel_limit_applies(photo_ctx):
    document = dict(photo_ctx.standards.document)
    document["photos"] = {**document["photos"], "max_pixels": 1000}
    tight = replace(photo_ctx, standards_loader=lambda: Standards(document))
    with pytest.raises(PayloadTooLarge) as refused:
        photos.store_files(tight, [photos.Upload("photos[0]", None, png((64, 32), "RGB"))])
    assert refused.value.field == "photos[0]"
    [stored] = photos.store_files(photo_ctx, [photos.Upload("photos[0]", None, png((64, 32), "RGB"))])
    assert (stored.width, stored.height, stored.format) == (64, 32, "PNG")


def test_the_image_work_runs_through_the_offload(photo_ctx):
    ran = []

    def offload(work, *args):
        ran.append(work.__name__)
        return work(*args)

    photos.store_files(replace(photo_ctx, offload=offload), [photos.Upload("photos[0]", None, png((64, 32), "RGB"))])
    assert ran == ["_check_and_write"]
