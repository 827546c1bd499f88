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
"""

import io
import uuid
import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

AVATAR_SIDE = 512
SERVICE_IMAGE_SIDE = 1600
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTR = "image/jpeg,image/png,image/webp"
JPEG_QUALITY = 85
WEBP_QUALITY = 85

MSG_TYPE = "Please upload a JPEG, PNG or WebP picture."
MSG_CORRUPT = "This picture could not be read: the file is damaged or incomplete."
MSG_TOO_COMPLEX = (
    "This picture is saved in too many progressive passes to be processed; "
    "please save it again as a standard JPEG, PNG or WebP."
)
# Start-of-scan markers allowed in a JPEG (standard progressive files have about 10).
MAX_JPEG_SCANS = 100


def _too_big_message(size: int) -> str:
    return (
        f"This picture is too large ({filesizeformat(size)}); "
        f"the limit is {filesizeformat(settings.IMAGE_MAX_BYTES)}."
    )


def _too_many_pixels_message() -> str:
    megapixels = settings.IMAGE_MAX_PIXELS // 1_000_000
    return f"This picture has too many pixels; the limit is {megapixels} megapixels."


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
        raise ValidationError("The uploaded file is empty.", code="empty")
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


class ImageUploadField(forms.FileField):
    """A form field for pictures: `cleaned_data[name]` is the processed ContentFile (or None).

    Drop-in for `forms.ImageField` on forms; assign the cleaned value to a model ImageField.
    """

    default_error_messages = {**forms.FileField.default_error_messages}

    def __init__(self, *, max_side: int = SERVICE_IMAGE_SIDE, square: bool = False, **kwargs):
        self.max_side = max_side
        self.square = square
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ACCEPT_ATTR}))
        kwargs.setdefault(
            "help_text",
            f"JPEG, PNG or WebP, up to {filesizeformat(settings.IMAGE_MAX_BYTES)}.",
        )
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload in self.empty_values or upload is None:
            return None
        return process_image(upload, max_side=self.max_side, square=self.square)
