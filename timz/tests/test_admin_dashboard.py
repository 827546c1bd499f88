"""The staff dashboard on the admin index: today's bookings, pending requests, this month's gross
volume and platform fees, open refunds."""

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from conftest import PASSWORD, give_totp, make_booking, make_user
from payments.models import Payment, Refund
from timz.admin_dashboard import admin_stats, day_bounds, month_bounds

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 15, 12, 30, tzinfo=UTC)
S = Booking.Status


def booking(*, client, service, starts_at, status=S.CONFIRMED):
    return make_booking(client=client, service=service, starts_at=starts_at, status=status)


def payment(*, client, service, amount, fee, currency="EUR", status="succeeded", paid_at=NOW, **kw):
    # Each payment needs its own booking: a completed one the day before it was paid. Completed
    # bookings may overlap (on PostgreSQL active ones of one pro or client may not), and none
    # of them falls on the day the dashboard shows.
    taken = paid_at or NOW
    paid_for = booking(
        client=client, service=service, starts_at=taken - timedelta(days=1), status=S.COMPLETED
    )
    return Payment.objects.create(
        booking=paid_for,
        backend=Payment.Backend.OFFLINE,
        amount=amount,
        fee=fee,
        currency=currency,
        status=status,
        paid_at=paid_at if status != "pending" else None,
        **kw,
    )


@pytest.fixture
def todays_bookings(client_user, service):
    """Today (15 Nov): 2 confirmed, 1 requested, 1 cancelled; plus bookings on other days."""
    day = datetime(2026, 11, 15, tzinfo=UTC)
    booking(client=client_user, service=service, starts_at=day + timedelta(hours=9))
    booking(client=client_user, service=service, starts_at=day + timedelta(hours=23, minutes=15))
    booking(
        client=client_user, service=service, starts_at=day + timedelta(hours=14), status=S.REQUESTED
    )
    booking(
        client=client_user, service=service, starts_at=day + timedelta(hours=10), status=S.CANCELLED
    )
    booking(client=client_user, service=service, starts_at=day - timedelta(minutes=30))
    booking(client=client_user, service=service, starts_at=day + timedelta(days=1))
    booking(
        client=client_user, service=service, starts_at=day + timedelta(days=6), status=S.REQUESTED
    )
    booking(
        client=client_user,
        service=service,
        starts_at=day + timedelta(days=2),
        status=S.PENDING_PAYMENT,
    )


def test_day_bounds_are_the_calendar_day_in_the_platform_zone():
    assert day_bounds(NOW) == (
        datetime(2026, 11, 15, tzinfo=UTC),
        datetime(2026, 11, 16, tzinfo=UTC),
    )


def test_month_bounds_of_december_end_on_the_first_of_january():
    assert month_bounds(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_today_is_the_platform_day_whatever_zone_is_active(client_user, service):
    # 23:30 UTC on the 15th is already the 16th in Tokyo; the figures stay on the UTC day.
    late = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    booking(client=client_user, service=service, starts_at=late)

    with timezone.override("Asia/Tokyo"):
        stats = admin_stats(late)

    assert stats["today"] == late.date()
    assert stats["bookings"]["today"] == 1


@pytest.mark.usefixtures("todays_bookings")
def test_stats_count_todays_bookings_that_are_not_called_off():
    stats = admin_stats(NOW)

    assert stats["today"] == NOW.date()
    assert stats["bookings"]["today"] == 3  # 2 confirmed + 1 requested; cancelled left out
    assert stats["bookings"]["today_confirmed"] == 2


@pytest.mark.usefixtures("todays_bookings")
def test_stats_count_every_pending_request_whatever_its_date():
    stats = admin_stats(NOW)

    assert stats["bookings"]["pending_requests"] == 2
    assert stats["bookings"]["awaiting_payment"] == 1


def test_stats_are_zero_on_an_empty_site():
    stats = admin_stats(NOW)

    assert stats["bookings"] == {
        "today": 0,
        "today_confirmed": 0,
        "pending_requests": 0,
        "awaiting_payment": 0,
    }
    assert stats["volume"] == []
    assert stats["open_refunds"] == {"count": 0, "by_currency": []}


def test_gross_volume_and_fees_add_up_money_taken_this_month_per_currency(client_user, service):
    payment(client=client_user, service=service, amount=5000, fee=500)
    payment(
        client=client_user,
        service=service,
        amount=3000,
        fee=300,
        status="partially_refunded",
        amount_refunded=1000,
        fee_refunded=100,
        paid_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    payment(client=client_user, service=service, amount=2000, fee=200, currency="USD")
    # Not this month's money: paid in October, never paid, failed.
    payment(
        client=client_user,
        service=service,
        amount=9000,
        fee=900,
        paid_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    )
    payment(client=client_user, service=service, amount=7000, fee=700, status="pending")
    payment(client=client_user, service=service, amount=8000, fee=800, status="failed")

    volume = admin_stats(NOW)["volume"]

    assert volume == [
        {
            "currency": "EUR",
            "payments": 2,
            "gross": 8000,
            "fees": 800,
            "refunded": 1000,
            "fees_refunded": 100,
            "net_fees": 700,
        },
        {
            "currency": "USD",
            "payments": 1,
            "gross": 2000,
            "fees": 200,
            "refunded": 0,
            "fees_refunded": 0,
            "net_fees": 200,
        },
    ]


def test_open_refunds_are_the_pending_ones_per_currency(client_user, service):
    paid = payment(client=client_user, service=service, amount=5000, fee=500)
    paid_usd = payment(client=client_user, service=service, amount=4000, fee=400, currency="USD")
    Refund.objects.create(payment=paid, amount=1000, reason="late", status="pending")
    Refund.objects.create(payment=paid, amount=500, reason="goodwill", status="pending")
    Refund.objects.create(payment=paid_usd, amount=4000, reason="cancelled", status="pending")
    Refund.objects.create(payment=paid, amount=700, reason="done", status="succeeded")
    Refund.objects.create(payment=paid, amount=800, reason="failed", status="failed")

    refunds = admin_stats(NOW)["open_refunds"]

    assert refunds == {
        "count": 3,
        "by_currency": [
            {"currency": "EUR", "count": 2, "amount": 1500},
            {"currency": "USD", "count": 1, "amount": 4000},
        ],
    }


@pytest.mark.usefixtures("todays_bookings")
def test_stats_take_at_most_three_queries(client_user, service, django_assert_max_num_queries):
    paid = payment(client=client_user, service=service, amount=5000, fee=500)
    Refund.objects.create(payment=paid, amount=1000, reason="late", status="pending")

    with django_assert_max_num_queries(3):
        admin_stats(NOW)


# --- The admin index page


@pytest.fixture
def busy_today(client_user, service, now):
    """Bookings on the test's day (whatever the date) and this month's money, for the index."""
    start, _ = day_bounds(now)
    booking(client=client_user, service=service, starts_at=start + timedelta(hours=1))
    booking(
        client=client_user,
        service=service,
        starts_at=start + timedelta(hours=2),
        status=S.REQUESTED,
    )
    paid = payment(client=client_user, service=service, amount=12345, fee=1235, paid_at=now)
    Refund.objects.create(payment=paid, amount=2000, reason="late", status="pending")


def _card(html: str, card_id: str) -> str:
    """The text of one stat card, tags removed, whitespace collapsed."""
    start = html.index(f'id="{card_id}"')
    card = html[html.index(">", start) + 1 : html.index("</li>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


@pytest.mark.usefixtures("busy_today")
def test_admin_index_shows_the_figures_to_staff(client, staff_user):
    client.force_login(staff_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert _card(html, "stat-today") == "Today’s bookings 2 1 confirmed"
    assert _card(html, "stat-pending") == "Pending requests 1 0 awaiting payment"
    assert "€123.45 1 payment" in _card(html, "stat-volume")
    assert "€12.35 €12.35 after refunds" in _card(html, "stat-fees")
    assert _card(html, "stat-refunds") == "Open refunds 1 €20.00"
    # The usual app list is still there, below the cards.
    assert html.index("timz-stats") < html.index('id="content-main"')


def _listed(client, url: str) -> int:
    """The number of rows the admin changelist at `url` lists."""
    response = client.get(url)
    # A filter the admin refuses would redirect to "?e=1" instead.
    assert response.status_code == HTTPStatus.OK
    return response.context["cl"].result_count


def _dashboard(client) -> dict:
    return client.get(reverse("admin:index")).context["timz_stats"]


def test_todays_bookings_card_counts_the_bookings_its_link_lists(
    client, staff_user, client_user, service, now
):
    # One booking in each status today, an hour apart, and some on the days around it.
    start, end = day_bounds(now)
    for hour, status in enumerate(S, start=1):
        booking(
            client=client_user,
            service=service,
            starts_at=start + timedelta(hours=hour),
            status=status,
        )
    booking(client=client_user, service=service, starts_at=start - timedelta(minutes=45))
    booking(client=client_user, service=service, starts_at=end)
    client.force_login(staff_user)

    stats = _dashboard(client)

    assert stats["bookings"]["today"] == 5  # all but cancelled, declined and expired
    assert _listed(client, stats["links"]["today"]) == stats["bookings"]["today"]


def test_pending_requests_card_counts_the_requests_its_link_lists(
    client, staff_user, client_user, service, now
):
    booking(
        client=client_user, service=service, starts_at=now + timedelta(days=2), status=S.REQUESTED
    )
    booking(
        client=client_user, service=service, starts_at=now + timedelta(days=9), status=S.REQUESTED
    )
    booking(client=client_user, service=service, starts_at=now + timedelta(days=3))
    client.force_login(staff_user)

    stats = _dashboard(client)

    assert stats["bookings"]["pending_requests"] == 2
    assert _listed(client, stats["links"]["pending_requests"]) == 2


def test_volume_card_counts_the_payments_its_link_lists(
    client, staff_user, client_user, service, now
):
    payment(client=client_user, service=service, amount=5000, fee=500, paid_at=now)
    payment(
        client=client_user, service=service, amount=3000, fee=300, paid_at=now, status="refunded"
    )
    payment(client=client_user, service=service, amount=7000, fee=700, status="pending")
    start, _ = month_bounds(now)
    payment(
        client=client_user,
        service=service,
        amount=9000,
        fee=900,
        paid_at=start - timedelta(minutes=1),
    )
    client.force_login(staff_user)

    stats = _dashboard(client)

    [row] = stats["volume"]
    assert row["payments"] == 2
    assert _listed(client, stats["links"]["volume"]) == 2


@pytest.mark.usefixtures("busy_today")
def test_open_refunds_card_counts_the_refunds_its_link_lists(client, staff_user):
    client.force_login(staff_user)

    stats = _dashboard(client)

    assert stats["open_refunds"]["count"] == 1
    assert _listed(client, stats["links"]["open_refunds"]) == 1


@pytest.mark.usefixtures("busy_today")
def test_admin_index_query_count_is_pinned(client, staff_user, django_assert_max_num_queries):
    client.force_login(staff_user)

    # session + user + staff's second factor (accounts.mfa) + the three dashboard aggregates
    # + the admin log of the sidebar
    with django_assert_max_num_queries(7):
        response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.usefixtures("busy_today")
def test_staff_without_payment_permissions_see_bookings_but_no_money(client):
    clerk = give_totp(make_user(email="clerk@example.com", is_staff=True))
    clerk.user_permissions.add(
        Permission.objects.get(content_type__app_label="bookings", codename="view_booking")
    )
    client.login(email="clerk@example.com", password=PASSWORD)

    response = client.get(reverse("admin:index"))

    html = response.content.decode()
    assert 'id="stat-today"' in html
    assert 'id="stat-volume"' not in html
    assert 'id="stat-refunds"' not in html
    assert "€123.45" not in html


def test_staff_without_any_relevant_permission_see_no_dashboard(client):
    give_totp(make_user(email="clerk@example.com", is_staff=True))
    client.login(email="clerk@example.com", password=PASSWORD)

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.OK
    assert "timz-stats" not in response.content.decode()


def test_admin_index_still_refuses_non_staff(client, client_user):
    client.force_login(client_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("admin:login") in response["Location"]
