"""Picture uploads: what is accepted, what is refused (always with a form error, never a 500)."""

import io
import re
import warnings
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from accounts.images import (
    AVATAR_SIDE,
    SERVICE_IMAGE_SIDE,
    SIZE_WIDTHS,
    ImageUploadField,
    process_image,
)
from accounts.models import ClientProfile
from accounts.tests.conftest import (
    image_bytes,
    jpeg_with_exif,
    png_header_only,
    upload,
)

pytestmark = pytest.mark.django_db

GENERATED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


def _open(content_file) -> Image.Image:
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


# process_image: the API --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_format_is_reencoded_under_a_generated_name(fmt):
    result = process_image(io.BytesIO(image_bytes(fmt)), max_side=SERVICE_IMAGE_SIDE)

    assert GENERATED_NAME.match(result.name)
    assert _open(result).format == "JPEG"  # opaque pictures become JPEG


def test_a_large_picture_is_shrunk_to_max_side_keeping_its_ratio():
    result = process_image(io.BytesIO(image_bytes(size=(4000, 2000))), max_side=1600)

    assert _open(result).size == (1600, 800)


def test_a_small_picture_is_not_enlarged():
    result = process_image(io.BytesIO(image_bytes(size=(300, 200))), max_side=1600)

    assert _open(result).size == (300, 200)


def test_an_avatar_is_cropped_to_a_square():
    result = process_image(
        io.BytesIO(image_bytes(size=(3000, 2000))), max_side=AVATAR_SIDE, square=True
    )

    assert _open(result).size == (AVATAR_SIDE, AVATAR_SIDE)


def test_exif_metadata_is_stripped():
    data = jpeg_with_exif()
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "SpyCam"  # the test file has it

    result = process_image(io.BytesIO(data), max_side=1600)

    stored = _open(result)
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert "icc_profile" not in stored.info
    result.seek(0)
    raw = result.read()
    assert b"SpyCam" not in raw and b"SecretEditor" not in raw


def test_exif_orientation_is_applied_before_stripping():
    # Orientation 6 = "rotate 90° clockwise to display": a 1200x800 sensor image shows upright
    # as 800x1200.
    result = process_image(io.BytesIO(jpeg_with_exif(orientation=6)), max_side=1600)

    assert _open(result).size == (800, 1200)


def test_png_with_real_transparency_stays_png():
    data = image_bytes("PNG", mode="RGBA", size=(100, 100), color=(0, 0, 0, 0))

    result = process_image(io.BytesIO(data), max_side=1600)

    assert result.name.endswith(".png")
    assert _open(result).mode == "RGBA"


def test_webp_with_transparency_stays_webp():
    data = image_bytes("WEBP", mode="RGBA", size=(100, 100), color=(10, 20, 30, 100))

    result = process_image(io.BytesIO(data), max_side=1600)

    assert result.name.endswith(".webp")


def test_png_with_an_opaque_alpha_channel_becomes_jpeg():
    data = image_bytes("PNG", mode="RGBA", size=(100, 100), color=(10, 20, 30, 255))

    assert process_image(io.BytesIO(data), max_side=1600).name.endswith(".jpg")


@pytest.mark.parametrize(
    ("mode", "color"), [("CMYK", (0, 50, 100, 0)), ("L", 128), ("P", 3), ("I;16", 40000)]
)
def test_unusual_colour_modes_are_converted(mode, color):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    result = process_image(
        io.BytesIO(image_bytes(fmt, mode=mode, size=(64, 48), color=color)), max_side=1600
    )

    assert _open(result).mode == "RGB"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (image_bytes("GIF", mode="P", color=1), "JPEG, PNG or WebP"),
        (image_bytes("BMP"), "JPEG, PNG or WebP"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "JPEG, PNG or WebP"),
        (b"just some text pretending to be a picture", "JPEG, PNG or WebP"),
        (image_bytes("JPEG")[:1500], "damaged or incomplete"),
        (image_bytes("PNG", size=(400, 400))[:300], "damaged or incomplete"),
        (png_header_only(8000, 6000), "too many pixels"),  # 48 MP, under Pillow's own limit
        (png_header_only(30000, 30000), "too many pixels"),  # 900 MP: Pillow's bomb error
    ],
    ids=["gif", "bmp", "pdf", "text", "truncated-jpeg", "truncated-png", "48mp", "bomb"],
)
def test_refusals_raise_a_validation_error_with_a_clear_message(data, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning may leak either
        with pytest.raises(ValidationError) as excinfo:
            process_image(io.BytesIO(data), max_side=1600)

    assert message in excinfo.value.messages[0]


def test_too_many_bytes_is_refused_before_decoding(settings):
    settings.IMAGE_MAX_BYTES = 10_000
    data = image_bytes("PNG", size=(300, 300), color=None) + b"\0" * 20_000

    with pytest.raises(ValidationError, match="too large"):
        process_image(upload(data, "big.png", "image/png"), max_side=1600)


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        process_image(io.BytesIO(b""), max_side=1600)


def test_the_form_field_returns_the_processed_file():
    field = ImageUploadField(max_side=AVATAR_SIDE, square=True, required=False)

    cleaned = field.clean(upload(image_bytes(size=(900, 700)), "me.png", "image/png"))

    assert GENERATED_NAME.match(cleaned.name)
    assert _open(cleaned).size == (AVATAR_SIDE, AVATAR_SIDE)
    assert field.clean(None) is None


# Through the profile page: form error, 200, nothing stored ----------------------------------


def _post_avatar(client, file):
    return client.post(
        reverse("accounts:profile"),
        {"display_name": "Chloé", "phone": "", "timezone": "Europe/Paris", "avatar": file},
    )


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (image_bytes("GIF", mode="P", color=1), "anim.gif", "image/gif", "JPEG, PNG or WebP"),
        (image_bytes("GIF", mode="P", color=1), "holiday.jpg", "image/jpeg", "JPEG, PNG or WebP"),
        (b"%PDF-1.4 fake", "cv.pdf", "application/pdf", "JPEG, PNG or WebP"),
        (b"hello, I am text", "selfie.jpg", "image/jpeg", "JPEG, PNG or WebP"),
        (image_bytes("JPEG")[:2000], "cut.jpg", "image/jpeg", "damaged or incomplete"),
        (png_header_only(8000, 6000), "huge.png", "image/png", "too many pixels"),
        (png_header_only(40000, 40000), "bomb.png", "image/png", "too many pixels"),
    ],
    ids=["gif", "gif-named-jpg", "pdf", "text-named-jpg", "truncated", "48mp", "bomb"],
)
def test_profile_upload_refusals_show_a_form_error_and_store_nothing(
    logged_in_client, client_user, settings, data, name, content_type, message
):
    response = _post_avatar(logged_in_client, upload(data, name, content_type))

    assert response.status_code == HTTPStatus.OK
    assert message in " ".join(response.context["form"].errors["avatar"])
    assert message in response.content.decode()
    profile = ClientProfile.objects.get(user=client_user)
    assert not profile.avatar
    assert profile.display_name == "Chloé Client"  # nothing else saved either
    assert _stored_files(settings) == []


def test_profile_upload_over_the_byte_limit_is_refused(logged_in_client, client_user, settings):
    settings.IMAGE_MAX_BYTES = 50_000
    data = image_bytes("PNG", size=(200, 200)) + b"\0" * 60_000

    response = _post_avatar(logged_in_client, upload(data, "big.png", "image/png"))

    assert response.status_code == HTTPStatus.OK
    assert "too large" in " ".join(response.context["form"].errors["avatar"])
    assert not ClientProfile.objects.get(user=client_user).avatar
    assert _stored_files(settings) == []


def test_profile_upload_of_six_real_megabytes_is_refused(logged_in_client, client_user):
    data = image_bytes("PNG", size=(100, 100)) + b"\0" * (6 * 1024 * 1024)

    response = _post_avatar(logged_in_client, upload(data, "big.png", "image/png"))

    assert response.status_code == HTTPStatus.OK
    assert "the limit is 5.0" in " ".join(response.context["form"].errors["avatar"])


def test_valid_upload_is_stored_reencoded_without_metadata_under_a_generated_name(
    logged_in_client, client_user, settings
):
    response = _post_avatar(logged_in_client, upload(jpeg_with_exif(), "IMG_0001.JPG"))

    assert response.status_code == HTTPStatus.FOUND
    avatar = ClientProfile.objects.get(user=client_user).avatar
    assert avatar.name.startswith("avatars/")
    assert GENERATED_NAME.match(avatar.name.removeprefix("avatars/"))
    assert "IMG_0001" not in avatar.name
    with avatar.open("rb") as fh:
        raw = fh.read()
    stored = Image.open(io.BytesIO(raw))
    assert stored.size == (AVATAR_SIDE, AVATAR_SIDE)
    assert dict(stored.getexif()) == {}
    assert b"SpyCam" not in raw
    # The picture and its responsive sizes, nothing else (accounts.images.SIZE_WIDTHS).
    stem = avatar.name.removeprefix("avatars/").rsplit(".", 1)[0]
    assert sorted(p.name for p in _stored_files(settings)) == sorted(
        [avatar.name.removeprefix("avatars/")] + [f"{stem}.w{w}.webp" for w in SIZE_WIDTHS]
    )


def test_an_embedded_colour_profile_is_applied_then_dropped():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes("JPEG", size=(200, 100), icc_profile=icc)
    assert Image.open(io.BytesIO(data)).info.get("icc_profile")

    result = process_image(io.BytesIO(data), max_side=1600)

    assert "icc_profile" not in _open(result).info


def test_an_animated_png_keeps_only_its_first_frame():
    frames = [Image.new("RGB", (120, 80), color) for color in ("red", "blue", "green")]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=100)

    result = process_image(io.BytesIO(buf.getvalue()), max_side=1600)

    stored = _open(result)
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((10, 10))[0] > 200  # the red first frame
