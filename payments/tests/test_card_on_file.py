"""Card on file with the offline backend: the client saves a (simulated) card when booking, the
pro charges the no-show or late-cancellation fee once, nobody else can."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import Booking, Protection, Service
from conftest import book, login, make_service
from payments import card_on_file
from payments.models import Payment, SavedCard, StripeCustomer

pytestmark = pytest.mark.django_db

S = Booking.Status


@pytest.fixture
def setup(offline_account, card_service):
    return card_service


def save_card_offline(http: Client, booking: Booking) -> SavedCard:
    """The client's clicks: Save a card, then Save on the test card page."""
    response = http.post(reverse("payments:card_setup", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER, response.content
    assert response["Location"].startswith("/payments/test-card/")
    response = http.post(response["Location"], {"outcome": "save"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("payments:card_setup_return", args=[booking.pk])
    response = http.get(response["Location"])
    assert response["Location"] == reverse("bookings:done", args=[booking.pk])
    return SavedCard.objects.get(booking=booking)


def no_show(booking: Booking, travel) -> Booking:
    travel(booking.starts_at + timedelta(minutes=20))
    return booking_services.booking_transition(
        booking=booking, action="no_show", by=booking.pro.user
    )


@pytest.fixture
def no_show_booking(setup, client_user, travel):
    booking = book(client=client_user, service=setup)
    save_card_offline(login(client_user), booking)
    booking.refresh_from_db()
    return no_show(booking, travel)


# -- Booking: the card is saved, the booking moves on --------------------------------------------


def test_booking_a_card_protected_service_holds_the_time_until_a_card_is_saved(setup, client_user):
    booking = book(client=client_user, service=setup)

    assert booking.status == S.PENDING_PAYMENT
    assert (booking.protection, booking.no_show_fee_percent) == (Protection.CARD, 40)
    # The flow's "pay" step sends the client to save a card instead.
    response = login(client_user).get(reverse("payments:checkout", args=[booking.pk]))
    assert response["Location"] == reverse("payments:card_setup", args=[booking.pk])


def test_the_card_page_says_nothing_is_charged_and_what_the_fee_would_be(setup, client_user):
    booking = book(client=client_user, service=setup)

    response = login(client_user).get(reverse("payments:card_setup", args=[booking.pk]))

    assert response.status_code == HTTPStatus.OK
    assert "Nothing is charged now" in response.text
    assert "€20.00" in response.text and "40% of the price" in response.text


def test_saving_the_test_card_confirms_the_booking_with_visa_4242(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    with commit():
        card = save_card_offline(http, booking)

    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED and booking.expires_at is None
    assert (card.status, card.label, card.backend) == ("saved", "Visa ending 4242", "offline")
    assert card.customer_id == StripeCustomer.objects.get(user=client_user).stripe_customer_id
    assert booking.events.last().action == "card_saved"
    assert not booking.payments.exists()  # nothing was charged
    subjects = sorted(m.subject.split(":")[0] for m in mail.outbox)
    assert subjects == ["[Timz] Booking confirmed", "[Timz] New booking"]
    page = http.get(reverse("bookings:detail", args=[booking.pk])).text
    assert "Visa ending 4242, saved for this booking" in page
    assert "Card saved" in page


def test_the_policy_is_shown_before_booking_on_the_confirm_step_and_in_the_confirmation_email(
    setup, client_user, commit
):
    from conftest import local_at

    http = login(client_user)
    before = "Your card is saved when booking; if you miss the appointment or cancel later"
    fee = "the pro may charge 40% (€20.00)."
    pro_page = http.get(setup.pro.get_absolute_url()).text
    assert before in pro_page and fee in pro_page
    url = reverse("bookings:confirm", args=[setup.pro.slug, setup.pk])
    confirm = http.get(url, {"start": local_at(3, 10).isoformat()}).text
    assert before in confirm and fee in confirm

    booking = book(client=client_user, service=setup)
    with commit():
        save_card_offline(http, booking)
    (email,) = [m for m in mail.outbox if m.to == [client_user.email]]
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "Your card is saved; if you miss the appointment" in body
        assert fee in body


def test_in_request_mode_the_saved_card_sends_the_request_to_the_pro(
    request_mode, offline_account, client_user
):
    service = make_service(
        pro=request_mode, protection=Protection.CARD, no_show_fee_percent=50, price_amount=3000
    )
    booking = book(client=client_user, service=service)
    save_card_offline(login(client_user), booking)
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED and booking.expires_at is not None


def test_saving_twice_changes_nothing(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    first = http.post(reverse("payments:card_setup", args=[booking.pk]))
    second = http.post(reverse("payments:card_setup", args=[booking.pk]))
    assert first["Location"] == second["Location"]
    card = save_card_offline(http, booking)
    again = card_on_file.card_setup_complete(saved_card=card, setup_intent_id="offline_seti_x")
    assert again.setup_intent_id == card.setup_intent_id
    assert booking.events.filter(action="card_saved").count() == 1
    assert StripeCustomer.objects.filter(user=client_user).count() == 1


def test_a_service_paid_online_needs_no_card(offline_account, working_pro, client_user):
    service = make_service(
        pro=working_pro,
        protection=Protection.CARD,
        no_show_fee_percent=50,
        payment_mode=Service.PaymentMode.ONLINE,
    )
    booking = book(client=client_user, service=service)
    response = login(client_user).get(reverse("payments:checkout", args=[booking.pk]))
    assert response.status_code == HTTPStatus.OK  # the ordinary payment page
    with pytest.raises(ValidationError, match="does not need a card"):
        card_on_file.card_setup_start(booking=booking, user=client_user)


def test_without_online_payments_the_booking_is_confirmed_without_a_card(
    working_pro, offline_payments, client_user
):
    service = make_service(pro=working_pro, protection=Protection.CARD, no_show_fee_percent=50)
    booking = book(client=client_user, service=service)
    assert booking.status == S.CONFIRMED


def test_only_the_bookings_client_can_save_a_card(setup, client_user, other_client):
    booking = book(client=client_user, service=setup)
    response = login(other_client).post(reverse("payments:card_setup", args=[booking.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(ValidationError, match="Only the client"):
        card_on_file.card_setup_start(booking=booking, user=setup.pro.user)


def test_a_lapsed_hold_refuses_the_card(setup, client_user, travel):
    booking = book(client=client_user, service=setup)
    travel(booking.expires_at + timedelta(seconds=1))
    response = login(client_user).post(
        reverse("payments:card_setup", args=[booking.pk]), follow=True
    )
    assert "The hold on this time has expired" in response.text
    assert not SavedCard.objects.exists()


# -- The fee ------------------------------------------------------------------------------------


def test_the_pro_charges_the_no_show_fee_once_and_the_client_gets_a_receipt(
    no_show_booking, commit
):
    booking = no_show_booking
    http = login(booking.pro.user)
    page = http.get(reverse("bookings:detail", args=[booking.pk])).text
    assert "Charge the no-show fee: €20.00" in page
    confirm = http.get(reverse("payments:fee_charge", args=[booking.pk]))
    assert "Charge €20.00" in confirm.text and "Visa ending 4242" in confirm.text
    assert not booking.payments.exists()  # the GET charged nothing
    mail.outbox.clear()

    with commit():
        response = http.post(reverse("payments:fee_charge", args=[booking.pk]), follow=True)

    assert "The fee was charged" in response.text
    fee = booking.payments.get()
    assert (fee.kind, fee.status, fee.amount, fee.fee, fee.currency) == (
        Payment.Kind.NO_SHOW_FEE,
        Payment.Status.SUCCEEDED,
        2000,
        200,
        "EUR",
    )
    (receipt,) = mail.outbox
    assert receipt.to == [booking.client.email]
    assert "No-show or late-cancellation fee, charged to Visa ending 4242" in receipt.body
    assert "€20.00" in receipt.body
    page = http.get(reverse("bookings:detail", args=[booking.pk])).text
    assert "Fee paid" in page and "Charge the no-show fee" not in page

    again = http.post(reverse("payments:fee_charge", args=[booking.pk]), follow=True)
    assert "already charged" in again.text
    assert booking.payments.count() == 1


def test_a_late_cancellation_can_be_charged(setup, client_user, travel):
    booking = book(client=client_user, service=setup, days=2)
    save_card_offline(login(client_user), booking)
    booking.refresh_from_db()
    travel(booking.starts_at - timedelta(hours=2))  # inside the default cancellation window
    booking = booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert booking.is_late_cancellation

    fee = card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)
    assert fee.is_paid and fee.amount == 2000
    page = login(booking.pro.user).get(reverse("bookings:detail", args=[booking.pk])).text
    assert "Fee paid" in page


def test_no_fee_for_a_completed_or_timely_cancelled_booking(setup, client_user, travel):
    booking = book(client=client_user, service=setup)
    save_card_offline(login(client_user), booking)
    booking = booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert not booking.is_late_cancellation
    with pytest.raises(ValidationError, match="only be charged after a no-show"):
        card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)
    page = login(booking.pro.user).get(reverse("payments:fee_charge", args=[booking.pk]))
    assert "only be charged after a no-show" in page.text and "Charge €" not in page.text


def test_no_fee_without_a_saved_card(offline_account, working_pro, client_user, travel):
    service = make_service(pro=working_pro, protection=Protection.CARD, no_show_fee_percent=40)
    booking = book(client=client_user, service=service)  # the hold, never a card
    booking = Booking.objects.get(pk=booking.pk)
    Booking.objects.filter(pk=booking.pk).update(status=S.NO_SHOW)
    booking.refresh_from_db()
    with pytest.raises(ValidationError, match="No card was saved"):
        card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)


def test_another_pro_gets_404_and_the_client_cannot_charge(no_show_booking, other_pro, client_user):
    booking = no_show_booking
    url = reverse("payments:fee_charge", args=[booking.pk])
    assert login(other_pro.user).post(url).status_code == HTTPStatus.NOT_FOUND
    assert login(client_user).post(url).status_code == HTTPStatus.NOT_FOUND
    assert login(other_pro.user).get(url).status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(ValidationError, match="Only the professional"):
        card_on_file.no_show_fee_charge(booking=booking, by=client_user)
    assert not booking.payments.exists()


def test_a_zero_percent_fee_is_never_offered(setup, client_user, travel):
    booking = book(client=client_user, service=setup)
    save_card_offline(login(client_user), booking)
    Booking.objects.filter(pk=booking.pk).update(no_show_fee_percent=0)
    booking.refresh_from_db()
    booking = no_show(booking, travel)
    with pytest.raises(ValidationError, match="no no-show fee"):
        card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)


def test_the_fee_amount_rounds_half_up(setup, client_user):
    booking = Booking(price_amount=3333, no_show_fee_percent=15, currency="EUR")
    assert card_on_file.no_show_fee_amount(booking) == 500  # 499.95 -> 500


def test_saved_card_export_shows_brand_and_last4_only(no_show_booking, client_user):
    from accounts.data_export import account_export

    data = account_export(user=client_user)
    (card,) = data["saved_cards"]
    assert card == {
        "booking_id": no_show_booking.pk,
        "card": "Visa ending 4242",
        "status": "saved",
        "saved_at": card["saved_at"],
    }
    assert "offline_pm" not in str(data)


# -- The API ------------------------------------------------------------------------------------


def test_booking_json_shows_the_saved_card_and_the_fee(no_show_booking, client_user):
    booking = no_show_booking
    url = f"/api/v1/bookings/{booking.pk}"
    pro_view = login(booking.pro.user).get(url).json()
    assert pro_view["card"] == {
        "status": "saved",
        "label": "Visa ending 4242",
        "brand": "visa",
        "last4": "4242",
    }
    assert pro_view["no_show_fee"] == {
        "amount": 2000,
        "currency": "EUR",
        "percent": 40,
        "status": None,
        "platform_fee": None,
        "failure_message": "",
        "can_charge": True,
        "awaits_client": False,
        "pay_url": None,
    }
    assert "offline_pm" not in str(pro_view)

    charged = login(booking.pro.user).post(f"{url}/no-show-fee")
    assert charged.status_code == HTTPStatus.OK
    assert charged.json() == {
        "status": "succeeded",
        "amount": 2000,
        "currency": "EUR",
        "message": "The fee was charged.",
    }
    fee = login(booking.pro.user).get(url).json()["no_show_fee"]
    assert (fee["status"], fee["platform_fee"], fee["can_charge"]) == ("succeeded", 200, False)
    client_fee = login(client_user).get(url).json()["no_show_fee"]
    assert (client_fee["status"], client_fee["platform_fee"], client_fee["can_charge"]) == (
        "succeeded",
        None,
        False,
    )
    again = login(booking.pro.user).post(f"{url}/no-show-fee")
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "already charged" in again.json()["detail"]


def test_a_booking_waiting_for_its_card_has_no_payment_due(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    url = f"/api/v1/bookings/{booking.pk}"

    waiting = http.get(url).json()
    assert waiting["status"] == S.PENDING_PAYMENT
    assert waiting["payment"] is None  # nothing is charged when booking: no "due" without a link
    assert waiting["card"]["status"] == "missing"
    assert http.get("/api/v1/bookings").json()[0]["payment"] is None
    with commit():
        save_card_offline(http, booking)
    saved = http.get(url).json()
    assert (saved["payment"], saved["card"]["status"]) == (None, "saved")


def test_bookings_without_a_card_have_no_card_keys(offline_account, service, client_user):
    booking = book(client=client_user, service=service)
    data = login(client_user).get(f"/api/v1/bookings/{booking.pk}").json()
    assert data["card"] is None and data["no_show_fee"] is None


def test_the_booking_list_loads_cards_without_a_query_per_booking(
    setup, client_user, django_assert_max_num_queries
):
    http = login(client_user)
    for days in (3, 4, 5):
        save_card_offline(http, book(client=client_user, service=setup, days=days))
    http.get("/api/v1/bookings")  # warm the session
    with django_assert_max_num_queries(6):  # 9 if each card cost a query
        response = http.get("/api/v1/bookings")
    assert [b["card"]["label"] for b in response.json()] == ["Visa ending 4242"] * 3


def test_the_flow_says_a_card_comes_next_and_done_shows_it(setup, client_user):
    from conftest import local_at

    http = login(client_user)
    start = local_at(3, 10)
    url = reverse("bookings:confirm", args=[setup.pro.slug, setup.pk])
    confirm = http.get(url, {"start": start.isoformat()})
    assert "Save a card next" in confirm.text and "Confirm booking and save a card" in confirm.text
    response = http.post(url, {"start": start.isoformat(), "note": ""})
    booking = Booking.objects.get(client=client_user)
    assert response["Location"] == reverse("payments:checkout", args=[booking.pk])
    assert http.get(response["Location"])["Location"] == reverse(
        "payments:card_setup", args=[booking.pk]
    )
    save_card_offline(http, booking)
    done = http.get(reverse("bookings:done", args=[booking.pk])).text
    assert "Confirmed" in done and "Visa ending 4242, saved for this booking" in done


def test_the_api_saves_a_card_and_refuses_to_take_a_payment_instead(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    refused = http.post(f"/api/v1/bookings/{booking.pk}/pay")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "asks for a card to be saved" in refused.json()["detail"]
    started = http.post(f"/api/v1/bookings/{booking.pk}/card")
    assert started.status_code == HTTPStatus.OK
    card = SavedCard.objects.get(booking=booking)
    assert started.json() == {"checkout_url": f"http://testserver{card.checkout_url}"}
    assert not booking.payments.exists()


def test_a_pro_whose_account_cannot_charge_is_told_so(no_show_booking):
    from payments.models import ConnectedAccount

    ConnectedAccount.objects.filter(pro=no_show_booking.pro).update(charges_enabled=False)
    with pytest.raises(ValidationError, match="finish setting it up in Get paid"):
        card_on_file.no_show_fee_charge(booking=no_show_booking, by=no_show_booking.pro.user)
    assert not no_show_booking.payments.exists()
