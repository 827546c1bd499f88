"""Fixtures for the accounts tests: pictures built in memory, logged-in clients."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt="JPEG", *, size=(800, 600), mode="RGB", color=(200, 30, 30), **save):
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, fmt, **save)
    return buf.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries no pixel data: a bomb's header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def jpeg_with_exif(*, size=(1200, 800), orientation=None) -> bytes:
    """A JPEG carrying camera EXIF (make, model, GPS) and, optionally, an orientation tag."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0131] = "SecretEditor 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    return image_bytes("JPEG", size=size, exif=exif.tobytes())


@pytest.fixture
def pro_client(client, pro):
    client.force_login(pro.user)
    return client


@pytest.fixture
def logged_in_client(client, client_user):
    client.force_login(client_user)
    return client


def pro_form(pro, **changes) -> dict:
    """The pro's profile form as the pro would submit it unchanged, then with `changes`."""
    data = {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "category": pro.category_id or "",
        "city": pro.city,
        "address_line": pro.address_line,
        "latitude": pro.latitude or "",
        "longitude": pro.longitude or "",
        "travel_km": pro.travel_km or "",
        "timezone": pro.timezone,
        "currency": pro.currency,
    }
    data.update(changes)
    return data
