"""Standing appointments through the pages and the API: preview, moves, confirm, cancel."""

import json
from datetime import UTC, datetime, time
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from bookings import services
from bookings.models import Booking, BookingSeries
from conftest import login, make_booking, make_open_pro, make_service, make_user

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 2, 20, 9, tzinfo=UTC)


def at(day, hour=10, minute=0, zone=PARIS):
    """A wall time in March 2027 (day 1 is a Monday)."""
    return datetime(2027, 3, day, hour, minute, tzinfo=zone)


@pytest.fixture
def scene(travel):
    travel(NOW)
    pro = make_open_pro(hours=(time(9), time(17)))
    service = make_service(pro=pro, name="Massage", duration_minutes=60)
    client = make_user(name="Camille")
    return pro, service, client


def new_url(service):
    return reverse("bookings:series_new", args=[service.pro.slug, service.pk])


def query(start, every=1, count=4, **extra):
    return {"start": start.isoformat(), "every": every, "count": count, **extra}


# --- the booking flow -----------------------------------------------------------------------


def test_the_confirm_step_offers_to_repeat_the_booking(scene):
    pro, service, client = scene
    url = reverse("bookings:confirm", args=[pro.slug, service.pk])
    page = login(client).get(url, {"start": at(1).isoformat()})
    assert page.status_code == HTTPStatus.OK
    assert "Make it a standing appointment" in page.text
    assert new_url(service) in page.text


def test_the_preview_lists_each_date_and_the_conflict_with_its_reason_and_times(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=at(15))
    page = login(client).get(new_url(service), query(at(1)))
    assert page.status_code == HTTPStatus.OK
    slots = page.context["slots"]
    assert [bool(s.conflict) for s in slots] == [False, False, True, False]
    assert "every week, 4 times at 10:00" in page.text
    assert page.text.count('data-testid="occurrence"') == 4
    assert "is not available then" in page.text
    # The nearest free time is offered first, the taken one not at all.
    assert f'<option value="{at(15, 9).isoformat()}" selected>' in page.text
    assert at(15, 11).isoformat() in page.text
    assert at(15).isoformat() not in page.text
    assert not Booking.objects.filter(client=client).exists()  # a preview writes nothing


def test_the_preview_keeps_ten_oclock_across_the_dst_change(scene):
    pro, service, client = scene
    page = login(client).get(new_url(service), query(at(15), count=4))
    times = {s.starts_at.astimezone(PARIS).time() for s in page.context["slots"]}
    assert times == {time(10)}
    assert "Sun 28 Mar" not in page.text and "Mon 29 Mar 2027, 10:00" in page.text


def test_the_preview_reads_a_bounded_number_of_queries(scene, django_assert_max_num_queries):
    pro, service, client = scene
    http = login(client)
    for day in (8, 15, 22):
        make_booking(client=make_user(), service=service, starts_at=at(day))
    # session, user, the service (+ pro, rules), working time, blocked time, the client's
    # bookings, the client's profile (zone), the header's unread count and pro profile: 9
    # whatever the count of dates and conflicts
    with django_assert_max_num_queries(9):
        page = http.get(new_url(service), query(at(1), count=12))
    assert page.status_code == HTTPStatus.OK


def test_moving_a_conflict_then_confirming_books_every_chosen_time(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=at(8))
    http = login(client)
    data = query(at(1), count=3, action="book", note="Back pain", at_1=at(8, 14).isoformat())
    response = http.post(new_url(service), data)
    assert response.status_code == HTTPStatus.FOUND
    mine = list(Booking.objects.filter(client=client).order_by("starts_at"))
    assert [b.starts_at for b in mine] == [at(1), at(8, 14), at(15)]
    assert {b.note for b in mine} == {"Back pain"}
    assert response.url == reverse("bookings:detail", args=[mine[0].pk])


def test_dropping_an_occurrence_books_the_others(scene):
    pro, service, client = scene
    response = login(client).post(
        new_url(service), query(at(1), count=3, action="book", at_2="skip")
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Booking.objects.filter(client=client).count() == 2


def test_checking_again_shows_the_moves_and_writes_nothing(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=at(8))
    page = login(client).post(
        new_url(service), query(at(1), count=3, action="check", at_1=at(8, 14).isoformat())
    )
    assert page.status_code == HTTPStatus.OK
    assert page.context["slots"][1].moved and not page.context["slots"][1].conflict
    assert not Booking.objects.filter(client=client).exists()


def test_a_time_taken_meanwhile_reshows_the_preview_and_saves_nothing(scene):
    pro, service, client = scene
    http = login(client)
    assert not http.get(new_url(service), query(at(1))).context["unresolved"]
    make_booking(client=make_user(), service=service, starts_at=at(22))  # someone was quicker
    page = http.post(new_url(service), query(at(1), action="book"))
    assert page.status_code == HTTPStatus.CONFLICT
    assert "Nothing was booked" in page.context["error"]
    assert page.context["slots"][3].conflict
    assert not BookingSeries.objects.exists()
    assert not Booking.objects.filter(client=client).exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"count": 0}, "from 2 to 52"),
        ({"every": 0}, "repeat interval"),
        ({"every": "x"}, "whole number"),
        ({"start": "2027-02-01T10:00:00+01:00"}, "has passed"),
        ({"count": 40, "every": 4}, "12 months"),
    ],
)
def test_bad_series_requests_get_a_400_with_the_reason(scene, params, message):
    pro, service, client = scene
    page = login(client).get(new_url(service), {**query(at(1)), **params})
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert message in page.context["message"]


def test_the_booking_page_shows_its_place_in_the_series(scene):
    pro, service, client = scene
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=at(1), every_weeks=2, count=3
    )
    page = login(client).get(reverse("bookings:detail", args=[bookings[1].pk]))
    assert "Part of a series: every 2 weeks, 2 of 3" in page.text
    assert reverse("bookings:detail", args=[bookings[0].pk]) in page.text
    assert reverse("bookings:detail", args=[bookings[2].pk]) in page.text
    assert reverse("bookings:series_cancel", args=[bookings[1].pk]) in page.text


def test_cancel_this_and_following_from_the_page(scene):
    pro, service, client = scene
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=at(1), every_weeks=1, count=4
    )
    http = login(client)
    url = reverse("bookings:series_cancel", args=[bookings[1].pk])
    page = http.get(url)
    assert page.status_code == HTTPStatus.OK
    assert len(page.context["where"]["following"]) == 3
    response = http.post(url, {"reason": "Moving"})
    assert response.status_code == HTTPStatus.FOUND
    statuses = list(Booking.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["confirmed", "cancelled", "cancelled", "cancelled"]


def test_a_pro_books_a_series_for_a_client_from_the_clients_page(scene):
    pro, service, client = scene
    make_booking(client=client, service=service, starts_at=datetime(2027, 2, 1, 9, tzinfo=UTC))
    http = login(pro.user)
    card = http.get(reverse("bookings:client_detail", args=[client.pk]))
    assert "Standing appointment" in card.text
    url = reverse("bookings:client_series", args=[client.pk])
    form = {"service": service.pk, "date": "2027-03-02", "time": "15:30", "every": 3, "count": 3}
    page = http.get(url, form)
    assert page.status_code == HTTPStatus.OK
    assert "The client already has" not in page.text
    response = http.post(url, {**form, "action": "book"})
    assert response.status_code == HTTPStatus.FOUND
    made = Booking.objects.filter(series__isnull=False).order_by("starts_at")
    assert [b.starts_at.astimezone(PARIS).time() for b in made] == [time(15, 30)] * 3
    assert {b.status for b in made} == {Booking.Status.CONFIRMED}


def test_a_pro_cannot_book_a_series_for_someone_who_never_booked_them(scene):
    pro, service, client = scene
    url = reverse("bookings:client_series", args=[client.pk])
    page = login(pro.user).get(url, {"service": service.pk, "date": "2027-03-02", "time": "10:00"})
    assert page.status_code == HTTPStatus.NOT_FOUND


def test_the_pro_accepts_a_series_of_requests_at_once(scene):
    pro, service, client = scene
    services.booking_rules_update(pro=pro, confirmation_mode="request")
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=at(1), every_weeks=1, count=3
    )
    http = login(pro.user)
    page = http.get(reverse("bookings:detail", args=[bookings[0].pk]))
    assert "Accept all 3 requests of the series" in page.text
    http.post(reverse("bookings:series_accept", args=[bookings[0].pk]))
    assert set(Booking.objects.values_list("status", flat=True)) == {"confirmed"}


# --- the API --------------------------------------------------------------------------------


def api_post(http, url, body):
    return http.post(url, json.dumps(body), content_type="application/json")


def series_body(service, start, every=1, count=12, **extra):
    return {
        "service": service.pk,
        "starts_at": start.isoformat(),
        "every_weeks": every,
        "count": count,
        **extra,
    }


@pytest.mark.parametrize("zone", [PARIS, NEW_YORK], ids=["paris", "new-york"])
def test_api_a_weekly_series_of_twelve_across_dst_keeps_ten_oclock(travel, zone):
    travel(NOW)
    pro = make_open_pro(timezone=zone.key, hours=(time(8), time(18)))
    service = make_service(pro=pro)
    http = login(make_user())
    response = api_post(http, "/api/v1/booking-series", series_body(service, at(1, zone=zone)))
    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert body["conflicts"] == []
    starts = [datetime.fromisoformat(b["starts_at"]) for b in body["bookings"]]
    assert [s.astimezone(zone).time() for s in starts] == [time(10)] * 12
    assert BookingSeries.objects.get(pk=body["id"]).bookings.count() == 12


def test_api_lists_the_conflicts_and_books_the_rest(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=at(15))
    response = api_post(
        login(client), "/api/v1/booking-series", series_body(service, at(1), count=4)
    )
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert len(body["bookings"]) == 3
    assert body["conflicts"] == [at(15).isoformat()]
    assert body["bookings"][0]["status"] == "confirmed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": 0}, "number of appointments"),
        ({"every_weeks": 0}, "repeat interval"),
        ({"starts_at": "2027-02-01T10:00:00+01:00"}, "has passed"),
        ({"starts_at": "2027-03-01T10:07:00+01:00"}, "not a free time"),
        ({"starts_at": "2027-03-01T20:00:00+01:00"}, "not a free time"),
    ],
)
def test_api_bad_input_is_a_400(scene, change, message):
    pro, service, client = scene
    response = api_post(
        login(client), "/api/v1/booking-series", {**series_body(service, at(1), count=3), **change}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["detail"]
    assert not Booking.objects.exists()


def test_api_cancel_from_a_booking_onward(scene):
    pro, service, client = scene
    http = login(client)
    made = api_post(http, "/api/v1/booking-series", series_body(service, at(1), count=5)).json()
    third = made["bookings"][2]["id"]
    response = api_post(
        http, f"/api/v1/booking-series/{made['id']}/cancel", {"from": third, "reason": "Moving"}
    )
    assert response.status_code == HTTPStatus.OK
    assert [b["id"] for b in response.json()["cancelled"]] == [
        b["id"] for b in made["bookings"][2:]
    ]
    statuses = list(Booking.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["confirmed"] * 2 + ["cancelled"] * 3


def test_api_cancel_refuses_others_and_strangers(scene):
    pro, service, client = scene
    made = api_post(
        login(client), "/api/v1/booking-series", series_body(service, at(1), count=2)
    ).json()
    url = f"/api/v1/booking-series/{made['id']}/cancel"
    first = made["bookings"][0]["id"]
    assert api_post(login(make_user()), url, {"from": first}).status_code == HTTPStatus.FORBIDDEN
    assert api_post(login(client), url, {"from": 999999}).status_code == HTTPStatus.BAD_REQUEST
    missing = "/api/v1/booking-series/999999/cancel"
    assert api_post(login(client), missing, {"from": first}).status_code == HTTPStatus.NOT_FOUND
    assert Booking.objects.filter(status="confirmed").count() == 2


def test_a_time_in_the_spring_gap_is_a_conflict_with_its_reason(travel):
    travel(NOW)
    pro = make_open_pro(hours=(time(1), time(5)))
    service = make_service(pro=pro, duration_minutes=30)
    client = make_user()
    http = login(client)
    page = http.get(new_url(service), query(at(21, 2, 30), count=3))
    gap = page.context["slots"][1]
    assert gap.planned is None and "clocks go forward" in gap.conflict
    assert "clocks go forward" in page.text
    response = api_post(
        http, "/api/v1/booking-series", series_body(service, at(21, 2, 30), count=3)
    )
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["conflicts"] == ["2027-03-28T02:30:00"]
    assert len(response.json()["bookings"]) == 2
