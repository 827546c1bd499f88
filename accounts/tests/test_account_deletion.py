"""Account deletion by the user: /profile/delete/ and accounts.services.account_delete."""

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts import services
from accounts.models import ClientProfile, ProProfile, User
from accounts.signals import user_deleting
from accounts.tests import account_data
from accounts.tests.account_data import pay_offline, review
from accounts.tests.conftest import image_bytes
from bookings import services as booking_services
from bookings.models import Booking, BookingRules
from chat import services as chat_services
from conftest import (
    PASSWORD,
    book,
    give_totp,
    local_at,
    login,
    make_booking,
    make_service,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = "/profile/delete/"

# Fixtures shared with test_data_export.py.
paid_service = account_data.paid_service


def delete_via_form(http, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return http.post(URL, data)


# The page ------------------------------------------------------------------------------------


def test_url_is_named_delete_account():
    assert reverse("accounts:delete_account") == URL


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_warning_page_lists_what_happens_and_asks_for_password(client_user):
    http = login(client_user)
    response = http.get(URL)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Your personal details are removed" in html
    assert "Upcoming bookings are cancelled" in html
    assert "Some records are kept, without your name" in html
    assert 'name="password"' in html and 'name="confirm"' in html
    assert reverse("accounts:export_data") in html


def test_warning_page_counts_the_upcoming_bookings(client_user, working_pro):
    service = make_service(pro=working_pro, name="Cut")
    book(client=client_user, service=service, days=3)
    book(client=client_user, service=service, days=4)
    response = login(client_user).get(URL)
    assert "2 bookings you made will be cancelled" in response.content.decode()


def test_profile_page_links_to_export_and_delete(client_user):
    response = login(client_user).get(reverse("accounts:profile"))
    html = response.content.decode()
    assert "Your data" in html
    assert reverse("accounts:export_data") in html
    assert reverse("accounts:delete_account") in html


def test_wrong_password_is_refused_and_nothing_changes(client_user):
    http = login(client_user)
    response = delete_via_form(http, password="not-my-password")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The password is not correct." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.is_active and client_user.email == "client@example.com"


def test_the_confirmation_box_is_required(client_user):
    response = delete_via_form(login(client_user), confirm=False)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Please tick the box to confirm." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.is_active


def test_missing_password_is_asked_for(client_user):
    response = delete_via_form(login(client_user), password="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Please enter your password to confirm." in response.content.decode()


def test_get_only_and_post_other_methods_are_refused(client_user):
    response = login(client_user).put(URL)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_too_many_wrong_passwords_pause_the_form(client_user, settings):
    settings.ACCOUNT_DELETE_RATE_LIMIT = "5/15m"
    http = login(client_user)
    for _ in range(5):
        assert delete_via_form(http, password="guess").status_code == HTTPStatus.BAD_REQUEST
    response = delete_via_form(http)  # even the right password now waits
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many wrong passwords" in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.is_active


def test_success_logs_out_and_says_goodbye(client_user):
    http = login(client_user)
    response = delete_via_form(http)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")
    page = http.get(reverse("home"))
    assert "Your account is deleted." in page.content.decode()
    assert not page.wsgi_request.user.is_authenticated


# Staff ---------------------------------------------------------------------------------------


def test_staff_see_why_they_cannot_delete_themselves(staff_user):
    response = login(staff_user).get(URL)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Staff accounts cannot be deleted from here" in html
    assert 'name="password"' not in html


def test_staff_post_is_forbidden_and_changes_nothing(staff_user):
    response = delete_via_form(login(staff_user))
    assert response.status_code == HTTPStatus.FORBIDDEN
    staff_user.refresh_from_db()
    assert staff_user.is_active and staff_user.email == "admin@example.com"


def test_service_refuses_staff(staff_user):
    with pytest.raises(ValidationError) as exc:
        services.account_delete(user=staff_user, password=PASSWORD)
    assert exc.value.code == "staff"


# What is removed -----------------------------------------------------------------------------


def test_user_row_is_kept_but_anonymised(client_user):
    pk = client_user.pk
    services.account_delete(user=client_user, password=PASSWORD)
    user = User.objects.get(pk=pk)
    assert user.email == f"deleted-{pk}@deleted.invalid"
    assert not user.has_usable_password()
    assert user.is_active is False
    assert user.role == User.Role.CLIENT


def test_pro_keeps_the_pro_role(pro):
    services.account_delete(user=pro.user, password=PASSWORD)
    assert User.objects.get(pk=pro.user_id).role == User.Role.PRO


def test_allauth_email_addresses_are_deleted(client_user):
    EmailAddress.objects.create(
        user=client_user, email=client_user.email, verified=True, primary=True
    )
    services.account_delete(user=client_user, password=PASSWORD)
    assert not EmailAddress.objects.filter(user=client_user).exists()
    assert not EmailAddress.objects.filter(email="client@example.com").exists()


def test_the_old_email_address_is_free_for_a_new_account(client_user):
    services.account_delete(user=client_user, password=PASSWORD)
    newcomer = make_user(email="client@example.com")
    assert newcomer.pk != client_user.pk


def test_client_profile_is_anonymised_and_its_photo_deleted(client_user, commit):
    profile = client_user.client_profile
    profile.phone = "+33 6 12 34 56 78"
    profile.avatar.save("me.jpg", ContentFile(image_bytes(size=(64, 64))), save=True)
    storage, name = profile.avatar.storage, profile.avatar.name
    assert storage.exists(name)
    with commit():
        services.account_delete(user=client_user, password=PASSWORD)
    profile = ClientProfile.objects.get(user=client_user)
    assert profile.display_name == "Deleted user"
    assert profile.phone == ""
    assert not profile.avatar
    assert not storage.exists(name)


def test_pro_profile_is_unlisted_blanked_and_moved_to_a_random_address(pro, commit):
    pro.headline, pro.bio, pro.address_line = "Fades", "Twenty years of cuts", "1 rue de Rivoli"
    pro.business_name = "Fades SARL"
    pro.avatar.save("pro.jpg", ContentFile(image_bytes(size=(64, 64))), save=False)
    pro.save()
    storage, name = pro.avatar.storage, pro.avatar.name
    with commit():
        services.account_delete(user=pro.user, password=PASSWORD)
    pro = ProProfile.objects.get(pk=pro.pk)
    assert pro.is_listed is False
    assert pro.display_name == "Former pro"
    assert (pro.headline, pro.bio, pro.address_line, pro.city) == ("", "", "", "")
    assert pro.business_name == ""
    assert not pro.avatar and not storage.exists(name)
    assert pro.slug != "paula-pro" and pro.slug.startswith("former-pro-")


def test_pro_public_page_is_gone(client, pro):
    assert client.get("/p/paula-pro/").status_code == HTTPStatus.OK
    services.account_delete(user=pro.user, password=PASSWORD)
    new_slug = ProProfile.objects.get(pk=pro.pk).slug
    assert client.get("/p/paula-pro/").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/p/{new_slug}/").status_code == HTTPStatus.NOT_FOUND


def test_pro_services_are_deactivated_and_cannot_be_booked(pro, service, client_user):
    services.account_delete(user=pro.user, password=PASSWORD)
    service.refresh_from_db()
    assert service.is_active is False
    with pytest.raises(ValidationError):
        book(client=client_user, service=service)


def test_pro_calendar_feed_token_is_revoked(client, pro):
    token = booking_services.calendar_token_regenerate(pro=pro)
    feed = reverse("bookings:calendar_feed", kwargs={"token": token})
    assert client.get(feed).status_code == HTTPStatus.OK
    services.account_delete(user=pro.user, password=PASSWORD)
    assert BookingRules.objects.get(pro=pro).calendar_token == ""
    assert client.get(feed).status_code == HTTPStatus.NOT_FOUND


def test_deleted_user_cannot_log_in(client, client_user):
    services.account_delete(user=client_user, password=PASSWORD)
    assert not client.login(email="client@example.com", password=PASSWORD)
    response = client.post(
        reverse("account_login"), {"login": "client@example.com", "password": PASSWORD}
    )
    assert not response.wsgi_request.user.is_authenticated
    assert client.get(reverse("accounts:profile")).status_code == HTTPStatus.FOUND


def test_every_session_of_the_user_is_deleted(client_user, other_client):
    laptop, phone, someone_else = login(client_user), login(client_user), login(other_client)
    assert delete_via_form(laptop).status_code == HTTPStatus.FOUND
    owners = [s.get_decoded().get(SESSION_KEY) for s in Session.objects.all()]
    assert str(client_user.pk) not in owners
    assert str(other_client.pk) in owners
    # The phone's session is gone: it is sent to the login page.
    assert phone.get(reverse("accounts:profile")).status_code == HTTPStatus.FOUND
    assert someone_else.get(reverse("accounts:profile")).status_code == HTTPStatus.OK


@pytest.fixture
def failing_app_part():
    """An app whose `user_deleting` receiver fails, connected after every real app's."""

    def fail(sender, **kwargs):
        raise RuntimeError("This app could not anonymise its rows.")

    user_deleting.connect(fail, dispatch_uid="tests.failing_app_part")
    yield
    user_deleting.disconnect(dispatch_uid="tests.failing_app_part")


def test_a_failing_app_part_rolls_the_whole_deletion_back(
    client_user, working_pro, failing_app_part
):
    booking = book(client=client_user, service=make_service(pro=working_pro, name="Cut"))
    with pytest.raises(RuntimeError):
        services.account_delete(user=client_user, password=PASSWORD)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    user = User.objects.get(pk=client_user.pk)
    assert user.is_active and user.email == "client@example.com"
    assert ClientProfile.objects.get(user=user).display_name == "Chloé Client"


def test_an_account_cannot_be_deleted_twice(client_user):
    services.account_delete(user=client_user, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.account_delete(user=client_user, password=PASSWORD)
    assert exc.value.code == "inactive"


# Bookings, payments, conversations, reviews: kept for the other side -------------------------


def test_client_future_bookings_are_cancelled_with_the_reason(client_user, working_pro):
    service = make_service(pro=working_pro, name="Cut")
    booking = book(client=client_user, service=service, days=5)
    result = services.account_delete(user=client_user, password=PASSWORD)
    booking.refresh_from_db()
    assert result.summary["bookings_ended"] == 1
    assert booking.status == Booking.Status.CANCELLED
    event = booking.events.order_by("at", "pk").last()
    assert (event.actor_role, event.reason, event.to_status) == (
        "client",
        "Account deleted",
        "cancelled",
    )


def test_pro_future_bookings_are_cancelled_or_declined_by_the_table(
    client_user, other_client, working_pro
):
    service = make_service(pro=working_pro, name="Cut")
    confirmed = book(client=client_user, service=service, days=5)
    booking_services.booking_rules_update(pro=working_pro, confirmation_mode="request")
    requested = book(client=other_client, service=service, days=6)
    assert requested.status == Booking.Status.REQUESTED
    result = services.account_delete(user=working_pro.user, password=PASSWORD)
    confirmed.refresh_from_db()
    requested.refresh_from_db()
    assert result.summary["bookings_ended"] == 2
    assert confirmed.status == Booking.Status.CANCELLED
    assert requested.status == Booking.Status.DECLINED
    for booking in (confirmed, requested):
        event = booking.events.order_by("at", "pk").last()
        assert (event.actor_role, event.reason) == ("pro", "Account deleted")


def test_past_bookings_are_kept_as_they_were(client_user, service):
    past = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(-3, 10),
        status=Booking.Status.COMPLETED,
    )
    services.account_delete(user=client_user, password=PASSWORD)
    past.refresh_from_db()
    assert past.status == Booking.Status.COMPLETED
    assert past.client_id == client_user.pk


def test_the_pro_still_sees_the_cancelled_booking_under_a_neutral_name(client_user, working_pro):
    service = make_service(pro=working_pro, name="Cut")
    booking = book(client=client_user, service=service, days=5)
    services.account_delete(user=client_user, password=PASSWORD)
    response = login(working_pro.user).get(reverse("bookings:detail", args=[booking.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Deleted user" in html and "Chloé Client" not in html
    assert "client@example.com" not in html


def test_the_client_still_sees_a_booking_of_a_deleted_pro(client_user, working_pro):
    service = make_service(pro=working_pro, name="Cut")
    booking = book(client=client_user, service=service, days=5)
    services.account_delete(user=working_pro.user, password=PASSWORD)
    response = login(client_user).get(reverse("bookings:detail", args=[booking.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Former pro" in html and "Account deleted" in html


def test_a_paid_booking_is_refunded_and_the_payment_kept(client_user, paid_service, commit):
    from payments.models import Payment, Refund

    booking = book(client=client_user, service=paid_service, days=5)
    payment = pay_offline(booking=booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    with commit():
        services.account_delete(user=client_user, password=PASSWORD)
    payment = Payment.objects.get(pk=payment.pk)
    refunds = list(Refund.objects.filter(payment=payment))
    assert len(refunds) == 1 and refunds[0].amount == payment.amount
    assert payment.booking_id == booking.pk  # kept, for the pro and for accounting


def test_the_pro_still_sees_the_payment_of_a_deleted_client(client_user, paid_service):
    booking = book(client=client_user, service=paid_service, days=5)
    pay_offline(booking=booking)
    services.account_delete(user=client_user, password=PASSWORD)
    response = login(paid_service.pro.user).get(reverse("bookings:detail", args=[booking.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Platform fee" in html and "Refunds" in html
    assert "Booking cancelled by the client." in html


def test_conversation_is_kept_and_shows_the_sender_as_deleted_user(client_user, pro):
    conversation, _ = chat_services.conversation_get_or_create(client=client_user, pro=pro)
    chat_services.message_send(conversation=conversation, sender=client_user, body="See you soon")
    chat_services.message_send(conversation=conversation, sender=pro.user, body="Sure!")
    services.account_delete(user=client_user, password=PASSWORD)
    response = login(pro.user).get(reverse("chat:conversation", args=[conversation.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "See you soon" in html and "Sure!" in html
    assert "Deleted user" in html and "Chloé Client" not in html
    inbox = login(pro.user).get(reverse("chat:inbox")).content.decode()
    assert "Deleted user" in inbox


def test_conversation_with_a_deleted_pro_shows_former_pro(client_user, pro):
    conversation, _ = chat_services.conversation_get_or_create(client=client_user, pro=pro)
    chat_services.message_send(conversation=conversation, sender=pro.user, body="Welcome!")
    services.account_delete(user=pro.user, password=PASSWORD)
    html = login(client_user).get(reverse("chat:conversation", args=[conversation.pk]))
    html = html.content.decode()
    assert "Welcome!" in html and "Former pro" in html and "Paula Pro" not in html


def test_reviews_are_kept_with_the_author_anonymised(client, client_user, service):
    past = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(-3, 10),
        status=Booking.Status.COMPLETED,
    )
    review(booking=past, text="Best fade in town")
    services.account_delete(user=client_user, password=PASSWORD)
    html = client.get("/p/paula-pro/").content.decode()
    assert "Best fade in town" in html
    assert "Deleted user" in html and "Chloé Client" not in html


def test_warning_page_queries_are_pinned(working_pro, client_user, django_assert_max_num_queries):
    service = make_service(pro=working_pro, name="Cut")
    for days in (3, 4, 5):
        book(client=client_user, service=service, days=days)
    http = login(working_pro.user)
    with django_assert_max_num_queries(6):
        response = http.get(URL)
    assert "3 bookings with your clients will be cancelled" in response.content.decode()


def test_a_pro_with_many_bookings_ends_them_all(working_pro):
    service = make_service(pro=working_pro, name="Cut")
    clients = [make_user() for _ in range(5)]
    for n, someone in enumerate(clients):
        book(client=someone, service=service, days=2 + n)
    result = services.account_delete(user=working_pro.user, password=PASSWORD)
    assert result.summary["bookings_ended"] == 5
    assert not Booking.objects.filter(pro=working_pro, status__in=Booking.ACTIVE_STATUSES).exists()


def test_an_empty_post_shows_what_is_missing(client_user):
    response = login(client_user).post(URL, {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Please enter your password to confirm." in html
    assert "Please tick the box to confirm." in html


def test_second_factors_are_deleted(client_user):
    give_totp(client_user)
    services.account_delete(user=client_user, password=PASSWORD)
    assert not Authenticator.objects.filter(user=client_user).exists()
