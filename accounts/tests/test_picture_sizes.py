"""Responsive sizes of stored pictures (accounts.images, the {% picture %} tag,
manage.py make_image_sizes): made on upload, deleted with the picture, rendered as srcset."""

import io
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse
from PIL import Image

from accounts import images
from accounts.images import SIZE_WIDTHS, make_sizes, process_image, size_name
from accounts.models import ProProfile
from accounts.services import account_delete, pro_profile_update
from accounts.tests.conftest import image_bytes
from bookings.services import service_create, service_update
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def stored(settings, name):
    return settings.MEDIA_ROOT / name


def avatar_upload(size=(900, 700)):
    return process_image(
        ContentFile(image_bytes("PNG", size=size)), max_side=images.AVATAR_SIDE, square=True
    )


def give_avatar(pro):
    """Upload a new avatar for `pro` through the profile service; `pro` reloaded."""
    pro_profile_update(pro=pro, avatar=avatar_upload())
    pro.refresh_from_db()


def legacy_avatar(pro):
    """A picture stored the way uploads were before sizes existed: the file alone."""
    picture = avatar_upload()
    name = pro.avatar.storage.save(f"avatars/{picture.name}", picture)
    ProProfile.objects.filter(pk=pro.pk).update(avatar=name)
    pro.refresh_from_db()
    return name


def service_with_picture(pro):
    picture = process_image(ContentFile(image_bytes("JPEG", size=(1200, 900))), max_side=1600)
    return service_create(
        pro=pro,
        name="Colour",
        duration_minutes=60,
        price_amount=5000,
        currency="EUR",
        image=picture,
    )


def render(source: str, **context) -> str:
    return Template("{% load pictures %}" + source).render(Context(context))


def test_sizes_are_webp_copies_at_each_width_never_upscaled():
    square = make_sizes(image_bytes("PNG", size=(512, 512)))
    assert sorted(square) == list(SIZE_WIDTHS)
    for width, data in square.items():
        copy = Image.open(io.BytesIO(data))
        assert copy.format == "WEBP"
        assert copy.size == (width, width)

    wide = make_sizes(image_bytes("JPEG", size=(1600, 800)))
    assert Image.open(io.BytesIO(wide[256])).size == (256, 128)

    small = make_sizes(image_bytes("JPEG", size=(100, 100)))
    assert Image.open(io.BytesIO(small[512])).size == (100, 100)
    assert Image.open(io.BytesIO(small[64])).size == (64, 64)


def test_a_64_px_copy_weighs_a_small_part_of_the_original(settings, pro):
    give_avatar(pro)
    original = stored(settings, pro.avatar.name).stat().st_size
    smallest = stored(settings, size_name(pro.avatar.name, 64)).stat().st_size
    assert smallest * 5 < original


def test_size_names_sit_beside_the_picture():
    assert size_name("avatars/abc.jpg", 128) == "avatars/abc.w128.webp"
    assert size_name("avatars/abc.webp", 64) == "avatars/abc.w64.webp"


def test_uploading_an_avatar_writes_its_sizes_and_replacing_it_deletes_the_old_ones(
    settings, pro, commit
):
    with commit():
        give_avatar(pro)
    first = pro.avatar.name
    assert all(stored(settings, size_name(first, w)).is_file() for w in SIZE_WIDTHS)

    with commit():
        give_avatar(pro)
    assert pro.avatar.name != first
    assert not stored(settings, first).exists()
    assert not any(stored(settings, size_name(first, w)).exists() for w in SIZE_WIDTHS)
    assert all(stored(settings, size_name(pro.avatar.name, w)).is_file() for w in SIZE_WIDTHS)

    with commit():
        pro_profile_update(pro=pro, remove_avatar=True)
    pro.refresh_from_db()
    assert list((settings.MEDIA_ROOT / "avatars").iterdir()) == []


def test_deleting_the_account_deletes_the_pictures_and_their_sizes(settings, pro, commit):
    give_avatar(pro)
    service = service_with_picture(pro)
    assert stored(settings, size_name(service.image.name, 64)).is_file()

    with commit():
        account_delete(user=pro.user, password=PASSWORD)

    files = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert files == []


def test_picture_tag_renders_srcset_sizes_and_a_reserved_box(pro):
    give_avatar(pro)
    html = render(
        '{% picture pro.avatar px=136 sizes="(min-width: 760px) 136px, 112px" alt="Paula" '
        'class="avatar avatar-xl" %}',
        pro=pro,
    )
    srcset = ", ".join(f"/media/{size_name(pro.avatar.name, w)} {w}w" for w in SIZE_WIDTHS)
    assert f'srcset="{srcset}"' in html
    assert 'sizes="(min-width: 760px) 136px, 112px"' in html
    assert 'width="136" height="136"' in html
    assert 'loading="lazy" decoding="async"' in html
    assert f'src="{pro.avatar.url}"' in html
    assert 'alt="Paula"' in html and 'class="avatar avatar-xl"' in html


def test_picture_tag_sizes_default_to_the_box_and_escape_attributes(pro):
    give_avatar(pro)
    html = render("{% picture pro.avatar px=64 alt=name %}", pro=pro, name='"><script>')
    assert 'sizes="64px"' in html
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_picture_tag_shows_a_picture_without_sizes_whole_and_writes_nothing(settings, pro):
    name = legacy_avatar(pro)
    html = render("{% picture pro.avatar px=64 %}", pro=pro)
    assert f'src="/media/{name}"' in html and "srcset" not in html
    assert render("{% picture missing px=64 %}", missing=None) == ""
    assert not stored(settings, size_name(name, 64)).exists()


def test_a_page_view_never_writes_sizes(client, settings, pro):
    name = legacy_avatar(pro)
    before = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())

    response = client.get(reverse("accounts:pro_detail", kwargs={"slug": pro.slug}))

    assert response.status_code == HTTPStatus.OK
    assert f'src="/media/{name}"' in response.content.decode()
    assert sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == before


def test_make_image_sizes_fills_in_what_is_missing_and_reports_it(settings, pro, other_pro):
    name = legacy_avatar(pro)
    give_avatar(other_pro)
    out = io.StringIO()

    call_command("make_image_sizes", stdout=out)

    assert "Sizes made for 1 picture(s); 1 already had them; 0 failed." in out.getvalue()
    assert all(stored(settings, size_name(name, w)).is_file() for w in SIZE_WIDTHS)
    assert "srcset" in render("{% picture pro.avatar px=64 %}", pro=pro)

    again = io.StringIO()
    call_command("make_image_sizes", stdout=again)
    assert "Sizes made for 0 picture(s); 2 already had them" in again.getvalue()
    everything = io.StringIO()
    call_command("make_image_sizes", "--all", stdout=everything)
    assert "Sizes made for 2 picture(s)" in everything.getvalue()


def test_make_image_sizes_reports_a_missing_or_unreadable_file(settings, pro, other_pro):
    ProProfile.objects.filter(pk=pro.pk).update(avatar="avatars/gone.jpg")
    broken = other_pro.avatar.storage.save("avatars/broken.jpg", ContentFile(b"not a picture"))
    ProProfile.objects.filter(pk=other_pro.pk).update(avatar=broken)
    out, err = io.StringIO(), io.StringIO()

    call_command("make_image_sizes", stdout=out, stderr=err)

    assert "0 failed" not in out.getvalue() and "2 failed" in out.getvalue()
    assert "Missing file: avatars/gone.jpg" in err.getvalue()
    assert "Could not make the sizes of avatars/broken.jpg" in err.getvalue()


def test_pro_page_serves_avatar_and_service_image_through_srcset(client, pro):
    give_avatar(pro)
    service_with_picture(pro)
    body = client.get(reverse("accounts:pro_detail", kwargs={"slug": pro.slug})).content.decode()
    assert body.count("srcset=") == 2
    assert 'sizes="72px"' in body  # the service thumbnail
    assert 'sizes="(min-width: 760px) 136px, 112px"' in body  # the pro's photo


def test_replacing_or_removing_a_service_picture_deletes_the_old_one_and_its_sizes(
    settings, pro, commit
):
    service = service_with_picture(pro)
    first = service.image.name
    new = process_image(ContentFile(image_bytes("PNG", size=(300, 300))), max_side=1600)

    with commit():
        service_update(service=service, image=new)

    assert not stored(settings, first).exists()
    assert not any(stored(settings, size_name(first, w)).exists() for w in SIZE_WIDTHS)
    second = service.image.name
    assert all(stored(settings, size_name(second, w)).is_file() for w in SIZE_WIDTHS)

    with commit():
        service_update(service=service, image="")
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []
