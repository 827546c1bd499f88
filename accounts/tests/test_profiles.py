"""Profile editing (client and pro), the pro dashboard, and who may open them."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import ClientProfile, ProProfile
from accounts.services import pro_profile_update, profile_update
from accounts.tests.conftest import image_bytes, pro_form, upload
from bookings.models import WeeklyHours
from conftest import login, make_pro, make_service
from payments.services import connected_account_enable_simulated

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
PRO_EDIT = reverse("accounts:pro_profile_edit")
DASHBOARD = reverse("accounts:dashboard")
DASHBOARD_QUERIES = 12


# Client profile ---------------------------------------------------------------------------


def test_profile_page_shows_the_current_values(logged_in_client, client_user):
    response = logged_in_client.get(PROFILE)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].initial["display_name"] == "Chloé Client"
    assert 'value="Europe/Paris" selected' in response.content.decode()


def test_profile_edit_saves_name_phone_and_time_zone(logged_in_client, client_user):
    response = logged_in_client.post(
        PROFILE,
        {"display_name": "  Chloé   B. ", "phone": "+33 6 12 34 56 78", "timezone": "Asia/Tokyo"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == PROFILE
    profile = ClientProfile.objects.get(user=client_user)
    assert (profile.display_name, profile.phone, profile.timezone) == (
        "Chloé   B.",
        "+33 6 12 34 56 78",
        "Asia/Tokyo",
    )


def test_profile_edit_refuses_an_unknown_time_zone(logged_in_client, client_user):
    response = logged_in_client.post(
        PROFILE, {"display_name": "Chloé", "phone": "", "timezone": "Europe/Atlantis"}
    )

    assert response.status_code == HTTPStatus.OK
    assert (
        "“Europe/Atlantis” is not a known time zone." in response.context["form"].errors["timezone"]
    )
    assert ClientProfile.objects.get(user=client_user).timezone == "Europe/Paris"


def test_profile_edit_refuses_a_phone_that_is_not_a_number(logged_in_client, client_user):
    response = logged_in_client.post(
        PROFILE, {"display_name": "Chloé", "phone": "call me maybe", "timezone": "UTC"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "phone" in response.context["form"].errors
    assert ClientProfile.objects.get(user=client_user).timezone == "Europe/Paris"


def test_profile_edit_requires_a_name(logged_in_client):
    response = logged_in_client.post(PROFILE, {"display_name": "", "timezone": "UTC"})

    assert response.status_code == HTTPStatus.OK
    assert "display_name" in response.context["form"].errors


def test_avatar_can_be_replaced_and_removed_and_old_files_are_deleted(
    logged_in_client, client_user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(
            PROFILE,
            {"display_name": "C", "timezone": "UTC", "avatar": upload(image_bytes(), "a.jpg")},
        )
    first = ClientProfile.objects.get(user=client_user).avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(
            PROFILE,
            {"display_name": "C", "timezone": "UTC", "avatar": upload(image_bytes(), "b.jpg")},
        )
    second = ClientProfile.objects.get(user=client_user).avatar.name
    assert second != first
    assert not (settings.MEDIA_ROOT / first).exists()
    assert (settings.MEDIA_ROOT / second).exists()

    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(
            PROFILE, {"display_name": "C", "timezone": "UTC", "remove_avatar": "on"}
        )
    assert not ClientProfile.objects.get(user=client_user).avatar
    assert not (settings.MEDIA_ROOT / second).exists()


def test_profile_page_needs_a_login(client):
    response = client.get(PROFILE)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_update_service_creates_a_missing_profile(client_user):
    ClientProfile.objects.filter(user=client_user).delete()

    profile = profile_update(user=client_user, display_name="Back", timezone="UTC")

    assert profile.display_name == "Back"


# Pro profile ------------------------------------------------------------------------------


def test_pro_profile_edit_saves_every_field(pro_client, pro, category):
    response = pro_client.post(
        PRO_EDIT,
        pro_form(
            pro,
            display_name="Paula's Studio",
            slug="paulas-studio",
            headline="Colour and cuts",
            bio="Ten years of balayage.",
            city="Lyon",
            address_line="3 rue de la République",
            business_name="  Studio   Paula SARL ",
            timezone="Europe/London",
            avatar=upload(image_bytes(size=(1000, 800)), "me.jpg"),
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.display_name == "Paula's Studio"
    assert pro.slug == "paulas-studio"
    assert pro.headline == "Colour and cuts"
    assert pro.bio == "Ten years of balayage."
    assert pro.category == category
    assert (pro.city, pro.address_line, pro.timezone) == (
        "Lyon",
        "3 rue de la République",
        "Europe/London",
    )
    assert pro.business_name == "Studio Paula SARL"  # for receipts
    assert pro.avatar.name.startswith("avatars/")
    assert pro.get_absolute_url() == "/p/paulas-studio/"


def test_pro_slug_clash_is_a_form_error(pro_client, pro, other_pro):
    response = pro_client.post(PRO_EDIT, pro_form(pro, slug=other_pro.slug))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["slug"] == ["This address is already taken."]
    pro.refresh_from_db()
    assert pro.slug == "paula-pro"


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Paula Pro!", "lowercase letters"),
        ("ab", "3 to 80"),
        ("admin", "reserved"),
        ("double--hyphen", "lowercase letters"),
    ],
)
def test_pro_slug_must_be_valid(pro_client, pro, slug, message):
    response = pro_client.post(PRO_EDIT, pro_form(pro, slug=slug))

    assert response.status_code == HTTPStatus.OK
    assert message in response.context["form"].errors["slug"][0]


def test_pro_can_keep_their_own_slug(pro_client, pro):
    response = pro_client.post(PRO_EDIT, pro_form(pro, headline="Same address"))

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert (pro.slug, pro.headline) == ("paula-pro", "Same address")


def test_pro_profile_edit_refuses_an_unknown_time_zone_and_category(pro_client, pro):
    response = pro_client.post(PRO_EDIT, pro_form(pro, timezone="Nowhere/Land", category=999))

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert "timezone" in errors and "category" in errors


def test_pro_profile_update_service_reports_a_slug_clash(pro, other_pro):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        pro_profile_update(pro=pro, slug=other_pro.slug)

    assert excinfo.value.message_dict["slug"] == ["This address is already taken."]


# Where the pro works ----------------------------------------------------------------------


def test_picking_a_known_city_places_the_pro_at_its_centre(pro_client, pro):
    response = pro_client.post(PRO_EDIT, pro_form(pro, city="Lyon", travel_km="12"))

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert (pro.latitude, pro.longitude, pro.travel_km) == (
        Decimal("45.764000"),
        Decimal("4.835700"),
        12,
    )


def test_typed_coordinates_win_over_the_city(pro_client, pro):
    response = pro_client.post(
        PRO_EDIT, pro_form(pro, city="Lyon", latitude="45.75", longitude="4.85")
    )

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert (pro.latitude, pro.longitude) == (Decimal("45.75"), Decimal("4.85"))


def test_moving_city_moves_coordinates_left_as_they_were(pro_client, pro):
    pro_profile_update(pro=pro, city="Paris", latitude=Decimal("48.8"), longitude=Decimal("2.3"))
    pro.refresh_from_db()

    pro_client.post(PRO_EDIT, pro_form(pro, city="Berlin"))

    pro.refresh_from_db()
    assert (pro.latitude, pro.longitude) == (Decimal("52.52"), Decimal("13.405"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "91", "longitude": "2"}, "latitude", "less than or equal to 90"),
        ({"latitude": "48", "longitude": "-181"}, "longitude", "greater than or equal to -180"),
        ({"latitude": "48", "longitude": ""}, "longitude", "both the latitude and the longitude"),
        ({"travel_km": "0"}, "travel_km", "greater than or equal to 1"),
        ({"latitude": "north", "longitude": "2"}, "latitude", "Enter a number"),
    ],
)
def test_bad_coordinates_are_form_errors_and_change_nothing(
    pro_client, pro, changes, field, message
):
    response = pro_client.post(PRO_EDIT, pro_form(pro, **changes))

    assert response.status_code == HTTPStatus.OK
    assert message in " ".join(response.context["form"].errors[field])
    pro.refresh_from_db()
    assert pro.latitude is None


def test_the_service_refuses_half_a_position(pro):
    with pytest.raises(ValidationError) as caught:
        pro_profile_update(pro=pro, latitude=Decimal("48"))

    assert "both the latitude and the longitude" in str(caught.value)


def test_a_client_cannot_edit_a_pro_profile(logged_in_client):
    assert logged_in_client.get(PRO_EDIT).status_code == HTTPStatus.FORBIDDEN
    assert logged_in_client.post(PRO_EDIT, {"slug": "x"}).status_code == HTTPStatus.FORBIDDEN


# Dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_an_incomplete_checklist_for_a_new_pro(pro_client, pro):
    response = pro_client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.OK
    checklist = {item["label"]: item["done"] for item in response.context["checklist"]}
    assert checklist == {
        "Add a photo": False,
        "Write a headline": False,
        "Tell clients about you": False,
        "Pick a category": True,
        "Say where you work": True,
        "Offer at least one service": False,
        "Set your weekly hours": False,
    }
    html = response.content.decode()
    assert pro.get_absolute_url() in html
    assert PRO_EDIT in html
    assert "2 of 7 done" in html


def test_dashboard_checklist_is_complete_when_everything_is_filled(pro_client, pro):
    import datetime as dt

    ProProfile.objects.filter(pk=pro.pk).update(
        headline="Cuts", bio="Hello", avatar="avatars/x.jpg"
    )
    make_service(pro=pro)
    WeeklyHours.objects.create(pro=pro, weekday=0, start=dt.time(9), end=dt.time(17))

    response = pro_client.get(DASHBOARD)

    assert response.context["complete"] is True
    assert "Your page is complete" in response.content.decode()


def test_dashboard_query_count_is_fixed(pro_client, pro, django_assert_max_num_queries):
    for _ in range(5):
        make_service(pro=pro)
    connected_account_enable_simulated(pro=pro)

    # 6 for the page itself, 1 for the payouts card's connected account, 1 for today's and
    # the week's bookings, 1 for the review counts, 3 for this month's figures.
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = pro_client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.OK


def test_dashboard_payouts_card_invites_a_pro_without_an_account_to_set_up(pro_client, settings):
    settings.STRIPE_SECRET_KEY = ""

    html = pro_client.get(DASHBOARD).content.decode()

    assert 'id="payouts-title"' in html
    assert "Not set up" in html
    assert "Set up payouts to let clients pay online when they book." in html


def test_dashboard_payouts_card_shows_a_connected_account_taking_payments(
    pro_client, pro, settings
):
    settings.STRIPE_SECRET_KEY = ""
    connected_account_enable_simulated(pro=pro)

    html = pro_client.get(DASHBOARD).content.decode()

    assert "Online payments on" in html
    assert "Charges enabled" in html and "Payouts enabled" in html
    assert "Not set up" not in html


def test_a_client_cannot_open_the_pro_dashboard(logged_in_client):
    response = logged_in_client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_anonymous_visitor_is_sent_to_login_from_the_dashboard(client):
    response = client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{reverse('account_login')}?next={DASHBOARD}"


def test_a_pro_role_without_a_pro_profile_gets_403(client):
    user = make_pro().user
    ProProfile.objects.filter(user=user).delete()
    client.force_login(user)

    assert client.get(DASHBOARD).status_code == HTTPStatus.FORBIDDEN


def test_a_refused_pro_photo_saves_none_of_the_other_changes(pro_client, pro, settings):
    response = pro_client.post(
        PRO_EDIT,
        pro_form(pro, headline="Changed", avatar=upload(b"GIF89a fake", "me.jpg")),
    )

    assert response.status_code == HTTPStatus.OK
    assert "JPEG, PNG or WebP" in response.context["form"].errors["avatar"][0]
    pro.refresh_from_db()
    assert pro.headline == "" and not pro.avatar
    assert not (settings.MEDIA_ROOT / "avatars").exists()


def test_profile_page_query_count_is_fixed(logged_in_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = logged_in_client.get(PROFILE)

    assert response.status_code == HTTPStatus.OK


def test_pro_profile_edit_page_query_count_is_fixed(pro_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = pro_client.get(PRO_EDIT)

    assert response.status_code == HTTPStatus.OK


# The dashboard's overview: today, the next 7 days, this month's net, the rating --------------


@pytest.fixture
def busy_pro(pro, client_user, travel):
    """At 07:00 on Tuesday 15 December 2026 in Paris: two bookings today (one cancelled), one
    tomorrow, one a week away, one after the week; a paid booking this month; two reviews."""
    from datetime import UTC, datetime, timedelta

    from bookings.models import Booking
    from bookings.services import review_create
    from conftest import make_booking
    from payments.models import Payment

    travel(datetime(2026, 12, 15, 6, tzinfo=UTC))
    service = make_service(pro=pro, name="Beard trim")
    paris = lambda day, hour: datetime(2026, 12, day, hour - 1, tzinfo=UTC)  # noqa: E731
    make_booking(client=client_user, service=service, starts_at=paris(15, 9))
    make_booking(
        client=client_user,
        service=service,
        starts_at=paris(15, 11),
        status=Booking.Status.CANCELLED,
    )
    make_booking(client=client_user, service=service, starts_at=paris(16, 14))
    make_booking(client=client_user, service=service, starts_at=paris(22, 18))
    make_booking(client=client_user, service=service, starts_at=paris(23, 9))
    for day, rating in ((1, 5), (2, 4)):
        past = make_booking(
            client=client_user,
            service=service,
            starts_at=paris(day, 10),
            status=Booking.Status.COMPLETED,
        )
        review_create(booking=past, by=client_user, rating=rating)
    Payment.objects.create(
        booking=past,
        backend="offline",
        amount=5000,
        fee=500,
        currency="EUR",
        status="succeeded",
        paid_at=paris(2, 11) + timedelta(hours=1),
    )
    return pro


def test_dashboard_shows_today_the_next_7_days_this_months_net_and_the_rating(busy_pro):
    # Signed in after the clock moved to the fixture's day (a session older than that expires).
    html = login(busy_pro.user).get(DASHBOARD).content.decode()

    today = html.split('data-testid="dash-today"')[1].split("</section>")[0]
    week = html.split('data-testid="dash-week"')[1].split("</section>")[0]
    money = html.split('data-testid="dash-money"')[1].split("</section>")[0]
    rating = html.split('data-testid="dash-rating"')[1].split("</section>")[0]
    assert today.count("<li>") == 1 and "09:00" in today and "Beard trim" in today
    assert week.count("<li>") == 2 and "Wed 16, 14:00" in week and "Tue 22, 18:00" in week
    assert '<span class="badge badge-brand">2</span>' in week
    assert "€45.00" in money and reverse("payments:money") in money
    assert "4.5" in rating and "2 reviews" in rating and reverse("bookings:reviews") in rating
    assert reverse("bookings:agenda") in today


def test_dashboard_overview_of_a_new_pro_says_there_is_nothing_yet(pro_client, pro):
    html = pro_client.get(DASHBOARD).content.decode()

    assert "No bookings today." in html
    assert "Nothing booked in the coming week yet." in html
    assert "No payments yet this month." in html
    assert "No reviews yet." in html


def test_dashboard_queries_do_not_grow_with_the_bookings(busy_pro, django_assert_max_num_queries):
    http = login(busy_pro.user)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = http.get(DASHBOARD)

    assert response.status_code == HTTPStatus.OK
