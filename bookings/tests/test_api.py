"""API v1: /api/v1/pros/{slug}/slots and /api/v1/bookings..., through the Django test client."""

from datetime import UTC, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Protection, Review, Service
from conftest import local_at, make_booking, make_calendar, make_pro, make_service, make_user
from payments.services import connected_account_enable_simulated

pytestmark = pytest.mark.django_db

S = Booking.Status


def slots_url(pro):
    return f"/api/v1/pros/{pro.slug}/slots"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


# --- slots ------------------------------------------------------------------------------------


def test_slots_are_listed_in_the_pros_zone_by_default(client, working_pro, service):
    day = local_at(3, 0).date()
    response = client.get(
        slots_url(working_pro), {"service": service.pk, "start": day.isoformat(), "days": 1}
    )
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["pro"], body["service"], body["timezone"]) == (
        "paula-pro",
        service.pk,
        "Europe/Paris",
    )
    assert body["slots"][0] == f"{day.isoformat()}T08:00:00+01:00"
    assert body["slots"][-1] == f"{day.isoformat()}T19:15:00+01:00"
    assert len(body["slots"]) == 46


def test_slots_in_the_clients_zone_around_paris_spring_forward(client, pro, service, travel):
    travel(datetime(2027, 3, 20, 12, tzinfo=UTC))  # a week before the dates asked for
    services.booking_rules_update(pro=pro, horizon_days=365)
    for weekday in range(7):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(17))])
    response = client.get(
        slots_url(pro),
        {"service": service.pk, "start": "2027-03-27", "days": 3, "tz": "America/New_York"},
    )
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["timezone"] == "America/New_York"
    # 09:00 in Paris every day: 04:00 in New York before Paris springs forward, 03:00 after.
    assert "2027-03-27T04:00:00-04:00" in body["slots"]
    assert "2027-03-28T03:00:00-04:00" in body["slots"]
    assert "2027-03-29T03:00:00-04:00" in body["slots"]
    assert "2027-03-27T03:45:00-04:00" not in body["slots"]
    assert "2027-03-28T02:45:00-04:00" not in body["slots"]
    assert all(s.endswith("-04:00") for s in body["slots"])


def test_slots_of_a_new_york_pro_around_its_own_dst_change(client, service, travel):
    travel(datetime(2027, 3, 6, 12, tzinfo=UTC))  # a week before the dates asked for
    pro = make_pro(timezone="America/New_York", slug="nyc-pro")
    offer = make_service(pro=pro, duration_minutes=60)
    services.booking_rules_update(pro=pro, horizon_days=365)
    for weekday in range(7):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(17))])
    response = client.get(slots_url(pro), {"service": offer.pk, "start": "2027-03-13", "days": 3})
    slots = response.json()["slots"]
    assert [s for s in slots if s.endswith("T09:00:00-05:00")] == ["2027-03-13T09:00:00-05:00"]
    assert "2027-03-14T09:00:00-04:00" in slots
    assert "2027-03-15T09:00:00-04:00" in slots
    assert "2027-03-14T16:00:00-04:00" in slots and "2027-03-14T16:15:00-04:00" not in slots


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tz": "Mars/Olympus"}, "not a known time zone"),
        ({"tz": "Europe"}, "not a known time zone"),
        ({"tz": "x" * 300}, "not a known time zone"),
        ({"tz": "../../etc/passwd"}, "not a known time zone"),
        ({"start": "2026-13-01"}, "YYYY-MM-DD"),
        ({"start": "tomorrow"}, "YYYY-MM-DD"),
        ({"start": "9999-12-31"}, "within a year"),
        ({"days": 0}, "between 1 and 62"),
        ({"days": 63}, "between 1 and 62"),
        ({"days": "many"}, "days"),
    ],
)
def test_slots_bad_input_is_400(client, working_pro, service, params, message):
    response = client.get(slots_url(working_pro), {"service": service.pk, **params})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["detail"]


def test_slots_of_another_pros_service_is_404(client, working_pro, other_pro):
    theirs = make_service(pro=other_pro)
    response = client.get(slots_url(working_pro), {"service": theirs.pk})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "This service cannot be booked."}


def test_slots_of_a_hidden_pro_are_404(client, working_pro, service):
    working_pro.is_listed = False
    working_pro.save()
    response = client.get(slots_url(working_pro), {"service": service.pk})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "This service cannot be booked."}


def test_slots_of_an_unknown_pro_is_404(client, service):
    response = client.get("/api/v1/pros/nobody/slots", {"service": service.pk})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_slots_endpoint_uses_few_queries(
    client, working_pro, service, django_assert_max_num_queries
):
    services.booking_rules_update(pro=working_pro, slot_step_minutes=15)  # rules row exists
    # service with its pro and rules + working time + blocked time
    with django_assert_max_num_queries(3):
        response = client.get(slots_url(working_pro), {"service": service.pk, "days": 30})
    assert response.status_code == HTTPStatus.OK


# --- create -----------------------------------------------------------------------------------


def test_anonymous_cannot_book(client, working_pro, service):
    response = post(
        client,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat()},
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication required."}


def test_create_booking_returns_201_with_the_booking_json(logged_in, working_pro, service):
    starts = local_at(3, 10)
    response = post(
        logged_in,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": starts.isoformat(), "note": "First visit"},
    )
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    booking = Booking.objects.get()
    assert body["id"] == booking.pk
    assert body["status"] == "confirmed"
    assert body["service"] == {"id": service.pk, "name": "Haircut", "duration_minutes": 45}
    assert body["pro"] == {"slug": "paula-pro", "display_name": "Paula Pro"}
    assert body["client"] == {"display_name": "Chloé Client"}
    assert body["price"] == {"amount": 3500, "currency": "EUR"}
    assert body["starts_at"] == starts.astimezone(timezone.UTC).isoformat()
    assert body["allowed_actions"] == ["cancel", "reschedule"]
    (event,) = body["events"]
    assert set(event) == {"at", "actor", "from", "to", "reason"}
    assert (event["actor"], event["from"], event["to"]) == ("client", "", "confirmed")


def test_create_booking_on_a_taken_time_is_409(logged_in, working_pro, service, other_client):
    make_booking(client=other_client, service=service, starts_at=local_at(3, 10))
    response = post(
        logged_in,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat()},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {"detail": "That time is no longer available."}


def test_create_booking_at_the_end_of_time_is_a_clean_409(logged_in, working_pro, service):
    for when in ("9999-12-31T23:59:00+00:00", "0001-01-01T00:00:00+00:00"):
        response = post(logged_in, "/api/v1/bookings", {"service": service.pk, "starts_at": when})
        assert response.status_code == HTTPStatus.CONFLICT
        assert response.json() == {"detail": "That time is no longer available."}


@pytest.mark.parametrize(
    "data",
    [
        {"starts_at": "2026-12-01T10:00:00+01:00"},
        {"service": 1, "starts_at": "not a date"},
        {"service": 1, "starts_at": "2026-12-01T10:00:00"},
        {"service": 999999, "starts_at": "2026-12-01T10:00:00+01:00"},
        {"service": 1, "starts_at": "2026-12-01T10:00:00+01:00", "note": "x" * 1001},
    ],
)
def test_create_booking_with_bad_input_is_400(logged_in, working_pro, service, data):
    if data.get("service") == 1:
        data["service"] = service.pk
    response = post(logged_in, "/api/v1/bookings", data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"]


def test_booking_a_service_that_cannot_be_booked_is_400_with_the_reason(
    logged_in, working_pro, service
):
    service.is_active = False
    service.save()
    response = post(
        logged_in,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat()},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "This service cannot be booked."}


# The kinds of booking a client can make, each as (service fields, set-up of the pro).
def _unchecked_calendar(pro):
    make_calendar(pro=pro, url="https://a.example/a.ics")


CREATED_KINDS = {
    "instant": ({}, None),
    "request mode": (
        {},
        lambda pro: services.booking_rules_update(pro=pro, confirmation_mode="request"),
    ),
    "calendar not checked": ({}, _unchecked_calendar),
    "paid in full online": ({"payment_mode": Service.PaymentMode.ONLINE}, None),
    "deposit": ({"protection": Protection.DEPOSIT, "deposit_amount": 1500}, None),
    "card on file": ({"protection": Protection.CARD, "no_show_fee_percent": 50}, None),
    # Under Stripe's minimum charge: the booking holds its time without a checkout.
    "checkout refused": ({"payment_mode": Service.PaymentMode.ONLINE, "price_amount": 10}, None),
}


@pytest.mark.parametrize("kind", CREATED_KINDS)
def test_the_created_booking_json_is_the_bookings_own_json(
    offline_payments, logged_in, working_pro, kind
):
    """The answer is built from what the creation wrote (bookings.selectors.booking_as_created),
    not read back: it must say exactly what reading the booking says."""
    fields, set_up = CREATED_KINDS[kind]
    connected_account_enable_simulated(pro=working_pro)
    if set_up is not None:
        set_up(working_pro)
    offered = make_service(pro=working_pro, **{"price_amount": 6000, **fields})
    created = post(
        logged_in,
        "/api/v1/bookings",
        {"service": offered.pk, "starts_at": local_at(3, 10).isoformat(), "note": "Hi"},
    )
    assert created.status_code == HTTPStatus.CREATED
    body = created.json()
    assert logged_in.get(f"/api/v1/bookings/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("kind", "queries"),
    [
        # The session and the user; the service with its pro, rules and payment account; the
        # transaction (a savepoint inside the test's own): working time, blocked time (the
        # client's side and the pro's own calendars with it), the booking and its event; then
        # the client's name for the answer.
        ("instant", 10),
        ("request mode", 10),
        # A pro with a calendar of their own: its freshness decides an instant confirmation.
        ("calendar not checked", 11),
        # The account read again inside the transaction, the platform fee's rate, the payment.
        ("paid in full online", 13),
    ],
)
def test_creating_a_booking_runs_a_fixed_number_of_queries(
    offline_payments, logged_in, working_pro, kind, queries, django_assert_num_queries
):
    fields, set_up = CREATED_KINDS[kind]
    connected_account_enable_simulated(pro=working_pro)
    if set_up is not None:
        set_up(working_pro)
    offered = make_service(pro=working_pro, **{"price_amount": 6000, **fields})
    make_booking(client=make_user(), service=offered, starts_at=local_at(3, 9))
    if connection.vendor == "postgresql":
        queries += 2  # the pro's and the client's rows locked first (no overlap under races)
    with django_assert_num_queries(queries):
        created = post(
            logged_in,
            "/api/v1/bookings",
            {"service": offered.pk, "starts_at": local_at(3, 10).isoformat()},
        )
    assert created.status_code == HTTPStatus.CREATED


def test_the_created_booking_json_names_a_pro_booking_as_a_client(logged_in, working_pro, service):
    booker = make_pro(name="Bea Booker")
    logged_in.force_login(booker.user)
    created = post(
        logged_in,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat()},
    )
    assert created.json()["client"] == {"display_name": "Bea Booker"}
    assert logged_in.get(f"/api/v1/bookings/{created.json()['id']}").json() == created.json()


# --- read -------------------------------------------------------------------------------------


def test_list_bookings_by_role_and_status(client, working_pro, service, client_user, other_client):
    as_client = make_booking(
        client=working_pro.user, service=make_service(pro=make_pro()), starts_at=local_at(3, 10)
    )
    mine = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    make_booking(
        client=other_client, service=service, starts_at=local_at(5, 10), status=S.CANCELLED
    )
    client.force_login(working_pro.user)

    ids = lambda r: [b["id"] for b in r.json()]  # noqa: E731
    assert sorted(ids(client.get("/api/v1/bookings"))) == sorted(
        [as_client.pk, mine.pk, mine.pk + 1]
    )
    assert ids(client.get("/api/v1/bookings", {"role": "client"})) == [as_client.pk]
    assert len(ids(client.get("/api/v1/bookings", {"role": "pro"}))) == 2
    assert ids(client.get("/api/v1/bookings", {"role": "pro", "status": "confirmed"})) == [mine.pk]


def test_list_bookings_scope_matches_the_my_bookings_tabs(logged_in, client_user, service):
    coming = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = make_booking(
        client=client_user, service=service, starts_at=local_at(-4, 10), status=S.COMPLETED
    )
    dropped = make_booking(
        client=client_user, service=service, starts_at=local_at(5, 10), status=S.CANCELLED
    )
    lapsed = make_booking(
        client=client_user, service=service, starts_at=local_at(6, 10), status=S.EXPIRED
    )

    def ids(scope):
        response = logged_in.get("/api/v1/bookings", {"scope": scope})
        return [b["id"] for b in response.json()]

    assert ids("upcoming") == [coming.pk]
    assert ids("past") == [done.pk]
    assert ids("cancelled") == [lapsed.pk, dropped.pk]


@pytest.mark.parametrize("params", [{"role": "boss"}, {"status": "happy"}, {"scope": "soon"}])
def test_list_bookings_bad_filters_are_400(logged_in, params):
    assert logged_in.get("/api/v1/bookings", params).status_code == HTTPStatus.BAD_REQUEST


def test_list_bookings_query_count_is_bounded(
    client, working_pro, service, django_assert_max_num_queries
):
    services.booking_rules_update(pro=working_pro, buffer_minutes=0)
    for i in range(8):
        make_booking(client=make_user(), service=service, starts_at=local_at(3 + i, 10))
    client.force_login(working_pro.user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/bookings")
    assert len(response.json()) == 8


def test_anonymous_list_is_401(client):
    assert client.get("/api/v1/bookings").status_code == HTTPStatus.UNAUTHORIZED


def test_get_booking_for_participants_only(client, working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    url = f"/api/v1/bookings/{booking.pk}"
    assert client.get(url).status_code == HTTPStatus.UNAUTHORIZED
    client.force_login(make_user())
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.force_login(working_pro.user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["allowed_actions"] == ["cancel", "reschedule"]


# --- actions ----------------------------------------------------------------------------------


def test_pro_confirms_a_request(client, request_mode, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(3, 10), status=S.REQUESTED
    )
    client.force_login(request_mode.user)
    response = post(client, f"/api/v1/bookings/{booking.pk}/confirm")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["events"][-1]["actor"] == "pro"
    assert body["events"][-1]["from"] == "requested"


def test_action_not_allowed_now_is_409(logged_in, working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    response = post(logged_in, f"/api/v1/bookings/{booking.pk}/complete")
    assert response.status_code == HTTPStatus.CONFLICT
    assert "client cannot complete" in response.json()["detail"]


def test_decline_without_reason_is_400(client, request_mode, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(3, 10), status=S.REQUESTED
    )
    client.force_login(request_mode.user)
    response = post(client, f"/api/v1/bookings/{booking.pk}/decline")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = post(client, f"/api/v1/bookings/{booking.pk}/decline", {"reason": "Away"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["events"][-1]["reason"] == "Away"


def test_unknown_action_is_404(logged_in, working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    assert post(logged_in, f"/api/v1/bookings/{booking.pk}/expire").status_code == 404


def test_reschedule_through_the_api(logged_in, working_pro, service, client_user, other_client):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(4, 10))
    url = f"/api/v1/bookings/{booking.pk}/reschedule"

    assert post(logged_in, url).status_code == HTTPStatus.BAD_REQUEST
    assert post(logged_in, url, {"starts_at": "soon"}).status_code == HTTPStatus.BAD_REQUEST
    taken = post(logged_in, url, {"starts_at": local_at(4, 10).isoformat()})
    assert taken.status_code == HTTPStatus.CONFLICT
    moved = post(logged_in, url, {"starts_at": local_at(4, 12).isoformat()})
    assert moved.status_code == HTTPStatus.OK
    assert moved.json()["starts_at"] == local_at(4, 12).astimezone(timezone.UTC).isoformat()


def test_cancel_then_cancel_again_is_409(logged_in, working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    url = f"/api/v1/bookings/{booking.pk}/cancel"
    first = post(logged_in, url, {"reason": "Changed plans"})
    assert first.status_code == HTTPStatus.OK
    assert first.json()["status"] == "cancelled"
    assert first.json()["allowed_actions"] == []
    assert post(logged_in, url).status_code == HTTPStatus.CONFLICT


# --- review -----------------------------------------------------------------------------------


def test_review_through_the_api(logged_in, working_pro, service, client_user):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=1),
        status=S.COMPLETED,
    )
    url = f"/api/v1/bookings/{booking.pk}/review"
    assert post(logged_in, url, {"rating": 9}).status_code == HTTPStatus.BAD_REQUEST
    response = post(logged_in, url, {"rating": 5, "text": "Lovely"})
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["rating"] == 5
    assert Review.objects.get().text == "Lovely"
    again = post(logged_in, url, {"rating": 4})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "already reviewed" in again.json()["detail"]


def test_api_refuses_booking_ones_own_service_with_the_services_reason(
    client, working_pro, service
):
    with pytest.raises(ValidationError) as refused:
        services.check_not_own_service(client=working_pro.user, pro=working_pro)
    client.force_login(working_pro.user)
    response = post(
        client,
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": local_at(4, 10).isoformat()},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == refused.value.messages[0]


def test_api_refuses_a_review_with_the_services_reason(
    logged_in, working_pro, service, client_user
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    refusal = services.review_refusal(booking=booking, by=client_user, now=timezone.now())
    response = post(logged_in, f"/api/v1/bookings/{booking.pk}/review", {"rating": 5})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == refusal


@pytest.mark.parametrize("booking_id", ["abc", "-3", "1.5", "1%0A2", "%0A"])
def test_a_booking_id_that_is_not_a_number_is_a_json_404(logged_in, booking_id):
    """Regression (schemathesis): such URLs missed the API's routes and got the HTML 404 page
    (or, for a POST without the CSRF token, the HTML 403 page). An encoded line break (%0A)
    also escaped the catch-all route, whose `.` stopped at it."""
    for response in (
        logged_in.get(f"/api/v1/bookings/{booking_id}"),
        post(logged_in, f"/api/v1/bookings/{booking_id}/cancel", {}),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json() == {"detail": "No such API endpoint."}

    # Without the CSRF token the refusal comes first, still as the API's JSON.
    response = post(Client(enforce_csrf_checks=True), f"/api/v1/bookings/{booking_id}/review", {})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == "application/json"
    assert "CSRF" in response.json()["detail"]
