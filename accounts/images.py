"""Uploaded pictures: checked, decoded, re-encoded and renamed before anything is stored.

Rules:
- only JPEG, PNG and WebP are accepted, recognised by decoding with Pillow: the file name and the
  browser's content type are ignored, so a GIF or a text file renamed `.jpg` is refused;
- at most `settings.IMAGE_MAX_BYTES` bytes and `settings.IMAGE_MAX_PIXELS` pixels; the pixel
  count is read from the header before anything is decoded, so a decompression bomb never gets
  expanded in memory;
- the picture is verified, fully decoded, turned upright (EXIF orientation), converted to sRGB,
  shrunk to `max_side` (or centre-cropped to a `max_side` square), and re-encoded without any
  metadata (no EXIF, GPS, XMP or ICC profile): JPEG quality 85, or PNG/WebP when it really has
  transparency;
- a JPEG with more than `MAX_JPEG_SCANS` start-of-scan markers is refused before decoding:
  libjpeg decodes every progressive scan over the whole picture, so a small file made of
  thousands of scans would keep a worker busy for minutes (found by fuzzing uploads);
  real encoders write about 10;
- the stored name is generated (`<uuid4 hex>.<ext>`), never the uploaded one.

Every refusal is a `ValidationError` with a message a user can act on.

`process_image()` is the API; `ImageUploadField` is the form field that calls it, so a form's
`cleaned_data` holds the processed `ContentFile`, ready to assign to a model `ImageField`.

Responsive sizes: a stored picture also has smaller copies, `SIZE_WIDTHS` pixels wide (WebP,
beside it: `avatars/<name>.w128.webp`), for `srcset`, so a phone showing a 64 px avatar
downloads a few kilobytes instead of the 512 px original. Models declare their pictures as
`PictureField`: saving a file through it writes the sizes, deleting it deletes them
(`stored_delete` for code that deletes by name). Pictures stored before the sizes existed get
them from `manage.py make_image_sizes`; until then pages show the original (`sizes_exist`), and
a page view never writes a file. The `{% picture %}` tag (`accounts/templatetags/pictures.py`)
renders the `<img>`.
"""

import io
import logging
import uuid
import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

AVATAR_SIDE = 512
SERVICE_IMAGE_SIDE = 1600
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTR = "image/jpeg,image/png,image/webp"
JPEG_QUALITY = 85
WEBP_QUALITY = 85

MSG_TYPE = _("Please upload a JPEG, PNG or WebP picture.")
MSG_CORRUPT = _("This picture could not be read: the file is damaged or incomplete.")
MSG_TOO_COMPLEX = _(
    "This picture is saved in too many progressive passes to be processed; "
    "please save it again as a standard JPEG, PNG or WebP."
)
# Start-of-scan markers allowed in a JPEG (standard progressive files have about 10).
MAX_JPEG_SCANS = 100


def _too_big_message(size: int) -> str:
    return gettext("This picture is too large (%(size)s); the limit is %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(settings.IMAGE_MAX_BYTES),
    }


def _too_many_pixels_message() -> str:
    megapixels = settings.IMAGE_MAX_PIXELS // 1_000_000
    return ngettext(
        "This picture has too many pixels; the limit is %(count)s megapixel.",
        "This picture has too many pixels; the limit is %(count)s megapixels.",
        megapixels,
    ) % {"count": megapixels}


def _read_upload(upload) -> bytes:
    """The upload's bytes, refusing more than IMAGE_MAX_BYTES without reading further."""
    limit = settings.IMAGE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_too_big_message(size), code="file_too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_too_big_message(size or len(data)), code="file_too_large")
    if not data:
        raise ValidationError(gettext("The uploaded file is empty."), code="empty")
    return data


def _open(data: bytes) -> Image.Image:
    """Open lazily (header only) as one of the accepted formats; check the pixel count."""
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, above its own (larger) bomb limit; both mean "refuse".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_too_many_pixels_message(), code="too_many_pixels") from None
    except UnidentifiedImageError:
        raise ValidationError(MSG_TYPE, code="invalid_type") from None
    except (OSError, SyntaxError, ValueError, TypeError, EOFError):
        raise ValidationError(MSG_CORRUPT, code="corrupt") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError(MSG_CORRUPT, code="corrupt")
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise ValidationError(_too_many_pixels_message(), code="too_many_pixels")
    return image


def _jpeg_scan_count(data: bytes) -> int:
    """An upper bound of the JPEG's start-of-scan markers, counted at C speed.

    libjpeg sees a marker wherever 0xFF (plus fill bytes) precedes the code, skipping junk
    between segments, so every SOS it could act on contains the bytes FF DA; entropy-coded data
    never does (0xFF is stuffed there). Metadata may add a few spurious matches, which only
    matters for files far beyond the limit.
    """
    return data.count(b"\xff\xda")


def _decode(data: bytes) -> Image.Image:
    """Header check, structural verify(), then a fresh full decode (verify() spends the image)."""
    image = _open(data)
    if image.format in ("JPEG", "MPO") and _jpeg_scan_count(data) > MAX_JPEG_SCANS:
        raise ValidationError(MSG_TOO_COMPLEX, code="too_complex")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.verify()
            image = _open(data)
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_too_many_pixels_message(), code="too_many_pixels") from None
    except Exception:
        # Pillow reports damaged data with many exception types (OSError, SyntaxError,
        # struct.error, IndexError, zlib.error...); all of them mean the same to the user.
        raise ValidationError(MSG_CORRUPT, code="corrupt") from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels described by an embedded ICC profile to sRGB, since the profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except Exception:  # a broken profile: keep the pixels as they are
        return image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        low, _high = rgba.getchannel("A").getextrema()
        return low < 255
    return False


def _normalise_mode(image: Image.Image, *, alpha: bool) -> Image.Image:
    target = "RGBA" if alpha else "RGB"
    if image.mode == target:
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # High bit-depth greyscale: scale into 8 bits before colour conversion.
        image = image if image.mode in ("I", "F") else image.convert("I")
        _low, high = image.getextrema()
        scale = 255 / high if high and high > 255 else 1
        image = image.point(lambda v: v * scale).convert("L")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image.convert(target)


def _resize(image: Image.Image, *, max_side: int, square: bool) -> Image.Image:
    if square:
        side = min(max_side, image.width, image.height)
        return ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    if image.width > max_side or image.height > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _encode(image: Image.Image, *, alpha: bool, source_format: str) -> tuple[bytes, str]:
    # A fresh info dict: nothing from the upload (EXIF, XMP, ICC, comments, text chunks) is
    # carried over, whatever a Pillow plugin would otherwise copy from `info`.
    image.info = {}
    out = io.BytesIO()
    if not alpha:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        return out.getvalue(), "jpg"
    if source_format == "PNG":
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "png"
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue(), "webp"


def process_image(upload, *, max_side: int, square: bool = False) -> ContentFile:
    """Check and re-encode an uploaded picture; return it as a ContentFile with a generated name.

    `upload` is any file-like object (an UploadedFile, an open file, a BytesIO). Raises
    ValidationError for a wrong type, too many bytes, too many pixels, or a damaged file.
    """
    data = _read_upload(upload)
    image = _decode(data)
    source_format = image.format
    try:
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
        alpha = _has_alpha(image)
        image = _normalise_mode(image, alpha=alpha)
        image = _resize(image, max_side=max_side, square=square)
        encoded, ext = _encode(image, alpha=alpha, source_format=source_format)
    except Exception:
        raise ValidationError(MSG_CORRUPT, code="corrupt") from None
    return ContentFile(encoded, name=f"{uuid.uuid4().hex}.{ext}")


def _upload_help_text_now() -> str:
    return gettext("JPEG, PNG or WebP, up to %(size)s.") % {
        "size": filesizeformat(settings.IMAGE_MAX_BYTES)
    }


# Read when a page shows it: forms are built at import time, before any language is active.
_upload_help_text = lazy(_upload_help_text_now, str)


class ImageUploadField(forms.FileField):
    """A form field for pictures: `cleaned_data[name]` is the processed ContentFile (or None).

    Drop-in for `forms.ImageField` on forms; assign the cleaned value to a model ImageField.
    """

    default_error_messages = {**forms.FileField.default_error_messages}

    def __init__(self, *, max_side: int = SERVICE_IMAGE_SIDE, square: bool = False, **kwargs):
        self.max_side = max_side
        self.square = square
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ACCEPT_ATTR}))
        kwargs.setdefault("help_text", _upload_help_text())
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload in self.empty_values or upload is None:
            return None
        return process_image(upload, max_side=self.max_side, square=self.square)


# ---------------------------------------------------------------------------------------------
# Responsive sizes
# ---------------------------------------------------------------------------------------------

# Widths of the copies: a 40-136 px avatar or a 56-72 px thumbnail at 1x to 3x screens.
SIZE_WIDTHS = (64, 128, 256, 512)
SIZE_QUALITY = 80  # WebP; about a third of a JPEG at 85 for these pictures


def size_name(name: str, width: int) -> str:
    """The stored name of `name`'s copy `width` pixels wide."""
    stem = name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name
    return f"{stem}.w{width}.webp"


def make_sizes(data: bytes) -> dict[int, bytes]:
    """The WebP copies of a stored picture, by width. Never upscaled: a copy wider than the
    picture is the picture itself (its srcset width then overstates it, which only makes a
    browser pick it for a larger slot, where it would be upscaled by CSS anyway).

    Raises ValidationError for data that is not an accepted picture (`_decode`'s checks)."""
    image = _decode(data)
    alpha = _has_alpha(image)
    image = _normalise_mode(image, alpha=alpha)
    out = {}
    for width in SIZE_WIDTHS:
        copy = image.copy()
        if copy.width > width:
            height = max(1, round(copy.height * width / copy.width))
            copy = copy.resize((width, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "WEBP", quality=SIZE_QUALITY, method=6)
        out[width] = buffer.getvalue()
    return out


def sizes_write(storage, name: str) -> int:
    """Write the copies of the stored picture `name` (replacing any); the number written.

    The smallest is written last: `sizes_exist` reads it as "all are there"."""
    with storage.open(name, "rb") as handle:
        data = handle.read()
    sizes = make_sizes(data)
    for width in sorted(sizes, reverse=True):
        target = size_name(name, width)
        storage.delete(target)
        saved = storage.save(target, ContentFile(sizes[width]))
        if saved != target:  # a storage that renamed it: the page could never find it
            storage.delete(saved)
            raise OSError(f"The storage saved {target} as {saved}.")
    return len(sizes)


def sizes_exist(storage, name: str) -> bool:
    return storage.exists(size_name(name, SIZE_WIDTHS[0]))


def sizes_delete(storage, name: str) -> None:
    for width in SIZE_WIDTHS:
        storage.delete(size_name(name, width))


def stored_delete(storage, name: str) -> None:
    """Delete a stored picture and its copies."""
    sizes_delete(storage, name)
    storage.delete(name)


def srcset(file) -> str:
    """The `srcset` of a stored picture's copies (URLs with their widths)."""
    storage = file.storage
    return ", ".join(f"{storage.url(size_name(file.name, w))} {w}w" for w in SIZE_WIDTHS)


class PictureFieldFile(ImageFieldFile):
    """A stored picture whose copies in `SIZE_WIDTHS` follow it: written when it is saved,
    deleted with it."""

    def save(self, name, content, save=True):
        super().save(name, content, save=save)
        try:
            sizes_write(self.storage, self.name)
        except (ValidationError, OSError):
            # The picture itself is stored and pages show it whole (sizes_exist is False);
            # make_image_sizes tries again.
            logger.warning("No responsive sizes for %s", self.name, exc_info=True)

    save.alters_data = True

    def delete(self, save=True):
        if self.name:
            sizes_delete(self.storage, self.name)
        super().delete(save=save)

    delete.alters_data = True


class PictureField(models.ImageField):
    """An ImageField whose files carry responsive sizes (`PictureFieldFile`)."""

    attr_class = PictureFieldFile


def picture_fields():
    """(model, field name) of every PictureField of the installed apps (for make_image_sizes)."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, PictureField)
    ]
