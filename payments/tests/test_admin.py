"""Staff tools in the admin: lists, filters, search, read-only events."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from conftest import book, login
from payments import services
from payments.models import StripeEvent
from payments.tests.conftest import pay_offline
from timz.formats import platform_datetime

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(offline_account, paid_service, client_user, commit):
    booking = book(client=client_user, service=paid_service)
    with commit():
        return pay_offline(http=login(client_user), booking=booking)


def test_payment_list_shows_amount_fee_net_and_filters(
    paid, staff_user, django_assert_max_num_queries
):
    admin = login(staff_user)
    url = reverse("admin:payments_payment_changelist")
    with django_assert_max_num_queries(12):
        page = admin.get(url)
    assert page.status_code == HTTPStatus.OK
    for text in ("€50.00", "€5.00", "€45.00", "client@example.com"):
        assert text in page.text
    assert "€50.00" in admin.get(url, {"status__exact": "succeeded"}).text
    assert "€50.00" not in admin.get(url, {"status__exact": "refunded"}).text
    assert "€50.00" in admin.get(url, {"q": "client@example.com"}).text
    assert "€50.00" in admin.get(url, {"q": str(paid.booking_id)}).text
    assert "€50.00" not in admin.get(url, {"q": "nobody@example.com"}).text


def test_payment_detail_shows_net_and_refunds(paid, staff_user):
    page = login(staff_user).get(reverse("admin:payments_payment_change", args=[paid.pk]))
    assert page.status_code == HTTPStatus.OK and "€45.00" in page.text


def test_other_admin_lists_load(paid, staff_user):
    StripeEvent.objects.create(event_id="evt_1", type="customer.created", payload={"id": "evt_1"})
    admin = login(staff_user)
    for name in ("refund", "connectedaccount", "stripeevent", "payout"):
        assert admin.get(reverse(f"admin:payments_{name}_changelist")).status_code == 200


def test_stripe_events_are_read_only(staff_user):
    event = StripeEvent.objects.create(event_id="evt_1", type="x", payload={})
    admin = login(staff_user)
    url = reverse("admin:payments_stripeevent_change", args=[event.pk])
    assert admin.get(url).status_code == HTTPStatus.OK
    admin.post(url, {"event_id": "evt_changed", "type": "y"})
    event.refresh_from_db()
    assert event.event_id == "evt_1"
    assert admin.get(reverse("admin:payments_stripeevent_add")).status_code == 403


def test_clients_cannot_use_the_admin(paid, client_user):
    response = login(client_user).get(reverse("admin:payments_payment_changelist"))
    assert response.status_code == HTTPStatus.FOUND


@pytest.fixture
def refunded(paid, staff_user, commit):
    with commit():
        services.refund_create(payment=paid, amount=2500, reason="Goodwill", by=staff_user)
    return paid.refunds.get()


def test_refund_list_shows_the_fee_refunded_in_the_currency(refunded, staff_user):
    page = login(staff_user).get(reverse("admin:payments_refund_changelist"))
    assert page.status_code == HTTPStatus.OK
    assert '<td class="field-fee_refunded_display">€2.50</td>' in page.text


def test_refund_detail_shows_its_amounts_in_the_currency(refunded, staff_user):
    page = login(staff_user).get(reverse("admin:payments_refund_change", args=[refunded.pk]))
    assert '<div class="readonly">€25.00</div>' in page.text
    assert '<div class="readonly">€2.50</div>' in page.text
    assert '<div class="readonly">250</div>' not in page.text


def test_payment_detail_shows_refunds_in_the_currency_not_minor_units(refunded, staff_user):
    url = reverse("admin:payments_payment_change", args=[refunded.payment_id])
    html = " ".join(login(staff_user).get(url).text.split())
    assert '<td class="field-amount_display"> <p>€25.00</p>' in html
    assert '<td class="field-fee_refunded_display"> <p>€2.50</p>' in html
    assert "<p>2500</p>" not in html and "<p>250</p>" not in html


def test_payment_pages_name_the_status_and_the_booking_time_as_staff_read_them(paid, staff_user):
    admin = login(staff_user)

    page = admin.get(reverse("admin:payments_payment_change", args=[paid.pk])).text

    assert f"Payment #{paid.pk} for booking #{paid.booking_id} (Paid)" in page
    assert "(succeeded)" not in page
    assert platform_datetime(paid.booking.starts_at) in page
    assert platform_datetime(paid.booking.starts_at).endswith(" UTC")


def test_staff_read_a_pros_month_as_the_money_page_shows_it(paid, staff_user, offline):
    from payments import selectors
    from payments.services import payouts_offline_run
    from timz.money import format_money

    pro = paid.booking.pro
    payouts_offline_run(now=paid.paid_at)
    admin = login(staff_user)
    accounts = admin.get(reverse("admin:payments_connectedaccount_changelist")).text
    url = reverse("admin:payments_pro_money", args=[pro.pk])
    assert url in accounts
    assert url in admin.get(reverse("admin:payments_payout_changelist")).text

    month = selectors.pro_month(pro=pro, month=paid.paid_at.strftime("%Y-%m"))
    page = admin.get(url, {"month": month.key})

    assert page.status_code == HTTPStatus.OK
    [figures] = selectors.figures_for_month(pro=pro, month=month)
    assert format_money(figures.net, "EUR") == "€45.00"
    assert page.text.count("€45.00") >= 3  # the net, the line's net, the payout
    assert f"#{paid.booking_id}" in page.text
    assert "use YYYY-MM" in admin.get(url, {"month": "nope"}).text


def test_only_staff_open_a_pros_month(paid, client_user):
    url = reverse("admin:payments_pro_money", args=[paid.booking.pro_id])

    response = login(paid.booking.pro.user).get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    assert login(client_user).get(url).status_code == HTTPStatus.FOUND


def test_an_unknown_pro_is_a_404_for_staff(staff_user):
    url = reverse("admin:payments_pro_money", args=[987654])

    assert login(staff_user).get(url).status_code == HTTPStatus.NOT_FOUND
