"""The booking flow through the pages: service, day, time, confirmation, done."""

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Service
from bookings.tests.conftest_pages import *  # noqa: F403
from bookings.views.flow import month_span
from conftest import PARIS, local_at, make_booking, make_service
from payments.services import connected_account_enable_simulated
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db


def book_url(service, **params):
    url = reverse("bookings:book", kwargs={"slug": service.pro.slug, "service_id": service.pk})
    return f"{url}?{urlencode(params)}" if params else url


def confirm_url(service, starts_at):
    url = reverse("bookings:confirm", kwargs={"slug": service.pro.slug, "service_id": service.pk})
    return f"{url}?{urlencode({'start': starts_at.isoformat()})}"


def test_flow_page_shows_the_service_days_and_times_in_the_pros_zone_for_visitors(
    client, open_service
):
    day = local_at(2, 9).date()
    response = client.get(book_url(open_service, date=day.isoformat()))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Haircut" in html
    assert 'Times shown in <strong data-testid="zone-label">Europe/Paris</strong>' in html
    assert ">09:00<" in html and ">17:15<" in html
    assert ">17:30<" not in html  # a 45-minute haircut must end by 18:00
    assert len(response.context["picker"]["strip"]) == 14


def test_visitor_zone_parameter_shifts_the_times(client, open_service):
    day = local_at(2, 9).date()
    response = client.get(book_url(open_service, date=day.isoformat(), tz="America/New_York"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "America/New York" in html
    times = response.context["picker"]["times"]
    assert times and all(t.tzinfo.key == "America/New_York" for t in times)
    assert all(t.date() == day for t in times)


def test_logged_in_client_sees_times_in_their_profile_zone(as_client, client_user, open_service):
    client_user.client_profile.timezone = "Asia/Tokyo"
    client_user.client_profile.save()
    response = as_client.get(book_url(open_service, tz="Europe/London"))
    assert response.status_code == HTTPStatus.OK
    assert response.context["picker"]["zone"].key == "Asia/Tokyo"


def test_day_without_hours_is_disabled_in_the_strip(client, open_service, open_pro):
    closed = local_at(3, 9).date()
    services.date_override_set(pro=open_pro, day=closed, intervals=[])
    response = client.get(book_url(open_service))
    strip = {d["day"]: d["count"] for d in response.context["picker"]["strip"]}
    assert strip[closed] == 0
    assert f'data-day="{closed.isoformat()}"' in response.content.decode()
    assert strip[local_at(4, 9).date()] > 0


def test_strip_navigates_to_the_next_fourteen_days_within_the_horizon(client, open_service):
    first = client.get(book_url(open_service)).context["picker"]
    assert first["prev_url"] is None
    response = client.get(first["next_url"])
    assert response.status_code == HTTPStatus.OK
    picker = response.context["picker"]
    assert picker["strip"][0]["day"] == first["strip"][0]["day"] + timedelta(days=14)
    assert picker["prev_url"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date": "2026-02-30"}, "is not a valid date"),
        ({"date": "yesterday"}, "is not a valid date"),
        ({"tz": "Mars/Olympus"}, "is not a known time zone"),
        ({"from": "nope"}, "is not a valid start of the calendar"),
    ],
)
def test_bad_query_parameters_get_a_clear_400(client, open_service, params, message):
    response = client.get(book_url(open_service, **params))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()


def test_days_outside_the_horizon_or_in_the_past_are_refused(client, open_service):
    past = (timezone.now() - timedelta(days=3)).date().isoformat()
    far = (timezone.now() + timedelta(days=400)).date().isoformat()
    assert client.get(book_url(open_service, date=past)).status_code == HTTPStatus.BAD_REQUEST
    assert client.get(book_url(open_service, date=far)).status_code == HTTPStatus.BAD_REQUEST


def test_inactive_service_is_404(client, open_service):
    open_service.is_active = False
    open_service.save()
    assert client.get(book_url(open_service)).status_code == HTTPStatus.NOT_FOUND


def test_other_services_of_the_pro_can_be_switched_to(client, open_service, open_pro):
    other = make_service(pro=open_pro, name="Beard trim")
    html = client.get(book_url(open_service)).content.decode()
    assert "Beard trim" in html
    assert book_url(other) in html


def test_picker_fragment_renders_only_the_picker(client, open_service):
    response = client.get(book_url(open_service), headers={"X-Timz-Fragment": "picker"})
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert html.lstrip().startswith('<div class="picker"')
    assert "<html" not in html


def test_anonymous_visitor_choosing_a_time_is_sent_to_login_and_back(client, open_service):
    url = confirm_url(open_service, local_at(2, 10))
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["next"] == [url]


def test_whole_flow_day_time_confirm_done(as_client, client_user, open_service):
    day = local_at(2, 9).date()
    picker = as_client.get(book_url(open_service, date=day.isoformat())).context["picker"]
    chosen = picker["times"][2]
    page = as_client.get(confirm_url(open_service, chosen))
    assert page.status_code == HTTPStatus.OK
    assert "Confirm your booking" in page.content.decode()
    response = as_client.post(
        confirm_url(open_service, chosen), {"start": chosen.isoformat(), "note": "Short please"}
    )
    booking = Booking.objects.get(client=client_user)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("bookings:done", kwargs={"pk": booking.pk})
    assert booking.starts_at == chosen.astimezone(UTC)
    assert booking.note == "Short please"
    done = as_client.get(response["Location"])
    assert "Confirmed" in done.content.decode()


def test_request_mode_done_page_says_the_pro_will_answer(as_client, client_user, open_service):
    services.booking_rules_update(
        pro=open_service.pro, confirmation_mode="request", request_expiry_hours=12
    )
    chosen = local_at(3, 11)
    as_client.post(confirm_url(open_service, chosen), {"start": chosen.isoformat()})
    booking = Booking.objects.get(client=client_user)
    assert booking.status == Booking.Status.REQUESTED
    html = as_client.get(reverse("bookings:done", kwargs={"pk": booking.pk})).content.decode()
    assert "Request sent — the pro will answer within 12 hours" in html


def test_time_taken_meanwhile_shows_no_longer_available_and_fresh_times(
    as_client, client_user, other_client, open_service
):
    chosen = local_at(2, 10)
    make_booking(client=other_client, service=open_service, starts_at=chosen)
    response = as_client.post(confirm_url(open_service, chosen), {"start": chosen.isoformat()})
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert "That time is no longer available" in html
    times = response.context["picker"]["times"]
    assert times and chosen not in times
    assert response.context["picker"]["day"] == chosen.date()
    assert not Booking.objects.filter(client=client_user).exists()


def test_confirm_page_for_a_taken_time_shows_no_longer_available(
    as_client, other_client, open_service
):
    chosen = local_at(2, 10)
    make_booking(client=other_client, service=open_service, starts_at=chosen)
    response = as_client.get(confirm_url(open_service, chosen))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "no longer available" in response.content.decode()


@pytest.mark.parametrize("start", ["", "tomorrow", "2026-12-01T09:00:00"])
def test_bad_start_is_a_clear_400(as_client, open_service, start):
    url = reverse("bookings:confirm", kwargs={"slug": "paula-pro", "service_id": open_service.pk})
    response = as_client.get(f"{url}?{urlencode({'start': start})}")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_note_longer_than_1000_characters_is_refused(as_client, client_user, open_service):
    chosen = local_at(2, 10)
    response = as_client.post(
        confirm_url(open_service, chosen), {"start": chosen.isoformat(), "note": "x" * 1001}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 1000 characters" in response.content.decode()
    assert not Booking.objects.filter(client=client_user).exists()


def test_confirm_shows_the_time_in_the_pros_zone_when_it_differs(
    as_client, client_user, open_service
):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    chosen = local_at(2, 10)
    html = as_client.get(confirm_url(open_service, chosen)).content.decode()
    assert "America/New York" in html
    assert f"For {open_service.pro.display_name}:" in html
    assert chosen.astimezone(PARIS).strftime("%H:%M") in html


def test_pro_without_hours_shows_a_clear_empty_state(client, service):
    response = client.get(book_url(service))
    assert response.status_code == HTTPStatus.OK
    assert "No free times in these days." in response.content.decode()


def test_strip_stops_at_the_booking_horizon(client, open_service):
    services.booking_rules_update(pro=open_service.pro, horizon_days=10)
    picker = client.get(book_url(open_service)).context["picker"]
    assert len(picker["strip"]) == 11
    assert picker["next_url"] is None
    far = (timezone.now() + timedelta(days=12)).date().isoformat()
    response = client.get(book_url(open_service, date=far))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Pick a day between" in response.content.decode()


def test_pro_cannot_book_their_own_service(open_service):
    from bookings.tests.conftest_pages import page_client

    as_owner = page_client(open_service.pro.user)
    response = as_owner.get(confirm_url(open_service, local_at(2, 10)))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "You cannot book your own service." in response.content.decode()


def test_pro_posting_the_confirm_step_for_their_own_service_gets_the_services_refusal(
    open_service,
):
    from bookings.tests.conftest_pages import page_client

    owner = open_service.pro.user
    with pytest.raises(ValidationError) as refused:
        services.check_not_own_service(client=owner, pro=open_service.pro)
    url = reverse(
        "bookings:confirm", kwargs={"slug": open_service.pro.slug, "service_id": open_service.pk}
    )
    response = page_client(owner).post(url, {"start": local_at(2, 10).isoformat()})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert refused.value.messages[0] in response.content.decode()
    assert not Booking.objects.exists()


# The month header, and a pay-online service: pay before Done ---------------------------------


@pytest.mark.parametrize(
    ("first", "last", "header"),
    [
        (date(2026, 12, 1), date(2026, 12, 14), "December 2026"),
        (date(2026, 11, 25), date(2026, 12, 8), "November – December 2026"),
        (date(2026, 12, 25), date(2027, 1, 7), "December 2026 – January 2027"),
    ],
)
def test_month_header_names_the_months_of_the_days_shown(first, last, header):
    assert month_span(first, last) == header


def test_picker_header_follows_the_days_shown_not_the_first_one(client, open_service, travel):
    travel(datetime(2026, 11, 25, 9, tzinfo=PARIS))
    picker = client.get(book_url(open_service)).context["picker"]
    assert [d["day"] for d in picker["strip"]][-1] == date(2026, 12, 8)
    assert picker["month"] == "November – December 2026"
    later = client.get(book_url(open_service, **{"from": "2026-12-09"})).context["picker"]
    assert later["month"] == "December 2026"


@pytest.fixture
def pay_online(offline_payments, open_service):
    connected_account_enable_simulated(pro=open_service.pro)
    open_service.payment_mode = Service.PaymentMode.ONLINE
    open_service.save()
    return open_service


def test_pay_online_steps_include_paying_before_done(client, pay_online):
    html = client.get(book_url(pay_online)).content.decode()
    assert "<span>4</span> Pay" in html and "<span>5</span> Done" in html


def test_pay_online_confirm_step_says_pay_now_before_the_button(as_client, pay_online):
    html = as_client.get(confirm_url(pay_online, local_at(3, 11))).content.decode()
    assert "Pay €35.00 now" in html
    assert html.index("Pay €35.00 now") < html.index('<button class="btn btn-block"')
    assert "Confirm booking and pay" in html


def test_at_the_appointment_confirm_step_asks_for_no_payment(as_client, open_service):
    html = as_client.get(confirm_url(open_service, local_at(3, 11))).content.decode()
    assert "now</strong>" not in html and "Confirm booking</button>" in html


def test_pay_online_booking_goes_to_payment_and_done_only_after_paying(
    as_client, client_user, pay_online, commit
):
    chosen = local_at(3, 11)
    response = as_client.post(confirm_url(pay_online, chosen), {"start": chosen.isoformat()})
    booking = Booking.objects.get(client=client_user)
    assert booking.status == Booking.Status.PENDING_PAYMENT
    checkout = reverse("payments:checkout", args=[booking.pk])
    assert response["Location"] == checkout
    done_url = reverse("bookings:done", args=[booking.pk])
    assert as_client.get(done_url)["Location"] == checkout  # not done before paying

    with commit():
        pay_offline(http=as_client, booking=booking)
    done = as_client.get(done_url)
    assert done.status_code == HTTPStatus.OK
    html = done.content.decode()
    assert "Confirmed" in html and "<span>5</span> Done" in html
