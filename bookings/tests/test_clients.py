"""A pro's clients: the list, the client card (history, spend, no-shows, private note) and the
"book again" email."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.services import account_delete
from bookings import selectors, services
from bookings.models import Booking, ClientNote, RebookNudge
from conftest import PASSWORD, local_at, login, make_booking, make_service, make_user

pytestmark = pytest.mark.django_db

COMPLETED, NO_SHOW = Booking.Status.COMPLETED, Booking.Status.NO_SHOW


@pytest.fixture
def as_pro(pro) -> Client:
    return login(pro.user)


@pytest.fixture
def regular(working_pro, service, client_user, now):
    """Chloé: two completed visits (35 € each), a no-show, a cancelled one and one coming."""
    for days, status in ((-40, COMPLETED), (-20, NO_SHOW), (-10, COMPLETED), (-5, "cancelled")):
        make_booking(
            client=client_user, service=service, starts_at=local_at(days, 10), status=status
        )
    make_booking(client=client_user, service=service, starts_at=local_at(6, 11))
    return client_user


def card_url(client) -> str:
    return reverse("bookings:client_detail", args=[client.pk])


# Reads ----------------------------------------------------------------------------------------


def test_a_client_card_counts_visits_no_shows_and_spend(regular, working_pro):
    client = selectors.client_get_for_pro(pro=working_pro, client_id=regular.pk)

    assert (client.bookings_count, client.visits, client.no_shows) == (5, 2, 1)
    assert client.last_visit == local_at(-5, 10)
    assert client.next_visit == local_at(6, 11)
    assert selectors.client_spend(pro=working_pro, client_ids=[regular.pk]) == {
        regular.pk: [("EUR", 7000)]
    }


def test_spend_is_summed_per_currency(regular, working_pro):
    pounds = make_service(pro=working_pro, price_amount=2000, currency="GBP")
    make_booking(client=regular, service=pounds, starts_at=local_at(-3, 9), status=COMPLETED)

    spend = selectors.client_spend(pro=working_pro, client_ids=[regular.pk])

    assert spend[regular.pk] == [("EUR", 7000), ("GBP", 2000)]


def test_another_pros_bookings_do_not_count(regular, working_pro, other_pro):
    theirs = make_service(pro=other_pro)
    make_booking(client=regular, service=theirs, starts_at=local_at(-1, 9), status=COMPLETED)

    client = selectors.client_get_for_pro(pro=working_pro, client_id=regular.pk)

    assert client.visits == 2
    assert selectors.client_spend(pro=working_pro, client_ids=[regular.pk])[regular.pk] == [
        ("EUR", 7000)
    ]


def test_the_list_puts_the_last_seen_first_and_searches_by_name(
    regular, working_pro, service, as_pro
):
    recent = make_user(name="Zoé Recent")
    make_booking(client=recent, service=service, starts_at=local_at(-1, 15), status=COMPLETED)
    only_ahead = make_user(name="Adam Ahead")
    make_booking(client=only_ahead, service=service, starts_at=local_at(3, 15))

    names = [c.display_name for c in selectors.clients_for_pro(pro=working_pro)]
    found = as_pro.get(reverse("bookings:clients"), {"q": "zoé"})

    assert names == ["Zoé Recent", "Chloé Client", "Adam Ahead"]
    assert found.status_code == HTTPStatus.OK
    assert [c.display_name for c, _ in found.context["rows"]] == ["Zoé Recent"]


def test_the_card_shows_history_in_the_pros_zone_spend_and_no_shows(regular, as_pro):
    response = as_pro.get(card_url(regular))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Chloé Client" in html
    assert "€70.00" in html
    assert "No-show" in html
    # The coming visit at 11:00 Paris time, named as the pro's zone.
    assert f"{local_at(6, 11):%H:%M} CE" in html
    assert "Paris time" in html
    assert len(response.context["history"]) == 5


def test_someone_who_never_booked_this_pro_is_a_404(regular, other_pro, other_client, as_pro):
    theirs = make_service(pro=other_pro)
    make_booking(client=other_client, service=theirs, starts_at=local_at(-2, 9), status=COMPLETED)

    assert as_pro.get(card_url(other_client)).status_code == HTTPStatus.NOT_FOUND
    assert login(other_pro.user).get(card_url(regular)).status_code == HTTPStatus.NOT_FOUND
    assert login(regular).get(card_url(regular)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("n", [1, 12])
def test_the_pages_run_a_bounded_number_of_queries(
    working_pro, service, as_pro, django_assert_max_num_queries, n
):
    for i in range(n):
        someone = make_user(name=f"Client {i}")
        make_booking(
            client=someone, service=service, starts_at=local_at(-i - 1, 9), status=COMPLETED
        )
        make_booking(
            client=someone, service=service, starts_at=local_at(-i - 1, 14), status=NO_SHOW
        )
        services.client_note_set(pro=working_pro, client=someone, text=f"Note {i}")
    services.client_rebook_nudge(pro=working_pro, client=someone, weeks=3)

    # session, user, pro, the header's unread count; count, clients (+ note, nudge), spend
    with django_assert_max_num_queries(7):
        listing = as_pro.get(reverse("bookings:clients"))
    # session, user, pro, unread count; client (+ note, nudge), history, spend, nudges, the
    # services a standing appointment can be of
    with django_assert_max_num_queries(9):
        card = as_pro.get(card_url(someone))

    assert listing.status_code == card.status_code == HTTPStatus.OK
    assert len(listing.context["rows"]) == n


# The private note ---------------------------------------------------------------------------


def test_the_pro_writes_a_private_note_and_reads_it_back(regular, working_pro, as_pro):
    response = as_pro.post(
        reverse("bookings:client_note", args=[regular.pk]), {"text": "  Likes it short.  "}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert ClientNote.objects.get(pro=working_pro, client=regular).text == "Likes it short."
    assert "Likes it short." in as_pro.get(card_url(regular)).content.decode()


def test_a_too_long_note_is_refused_and_the_old_one_kept(regular, working_pro, as_pro):
    services.client_note_set(pro=working_pro, client=regular, text="Keep me")

    response = as_pro.post(reverse("bookings:client_note", args=[regular.pk]), {"text": "x" * 2001})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 2000 characters" in response.content.decode()
    assert ClientNote.objects.get(pro=working_pro, client=regular).text == "Keep me"


def test_notes_about_a_client_are_private_to_each_pro(regular, working_pro, other_pro):
    services.client_note_set(pro=working_pro, client=regular, text="Mine")
    theirs = make_service(pro=other_pro)
    make_booking(client=regular, service=theirs, starts_at=local_at(-1, 9), status=COMPLETED)

    seen = selectors.client_get_for_pro(pro=other_pro, client_id=regular.pk)

    assert seen.note_text == ""


# Book again ---------------------------------------------------------------------------------


def test_book_again_emails_a_link_to_the_calendar_n_weeks_on(
    regular, working_pro, service, as_pro, commit, settings
):
    settings.SITE_URL = "https://timz.example"
    with commit():
        response = as_pro.post(reverse("bookings:client_nudge", args=[regular.pk]), {"weeks": "3"})

    assert response.status_code == HTTPStatus.FOUND
    nudge = RebookNudge.objects.get()
    assert nudge.suggested_date == local_at(21, 12).date()
    [email] = mail.outbox
    assert email.to == [regular.email]
    assert "Paula Pro" in email.subject
    book = reverse("bookings:book", kwargs={"slug": working_pro.slug, "service_id": service.pk})
    link = f"https://timz.example{book}?date={nudge.suggested_date.isoformat()}"
    assert link in email.body
    assert link in email.alternatives[0][0]
    card = as_pro.get(card_url(regular)).content.decode()
    assert "Nudged on" in card


def test_the_suggested_date_stays_within_the_booking_horizon(regular, working_pro, commit):
    services.booking_rules_update(pro=working_pro, horizon_days=10)

    nudge = services.client_rebook_nudge(pro=working_pro, client=regular, weeks=4)

    assert nudge.suggested_date == local_at(10, 12).date()


def test_a_second_invitation_the_same_day_is_refused_with_429(regular, as_pro, commit):
    url = reverse("bookings:client_nudge", args=[regular.pk])
    with commit():
        as_pro.post(url, {"weeks": "3"})
        again = as_pro.post(url, {"weeks": "4"})

    assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "invited this client to book again lately" in again.content.decode()
    assert RebookNudge.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_weeks_value_off_the_list_is_a_400(regular, as_pro):
    response = as_pro.post(reverse("bookings:client_nudge", args=[regular.pk]), {"weeks": "99"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not RebookNudge.objects.exists()


def test_without_a_bookable_service_the_link_is_the_pros_page(
    regular, working_pro, service, commit
):
    service.is_active = False
    service.save()

    with commit():
        services.client_rebook_nudge(pro=working_pro, client=regular, weeks=2)

    assert f"{working_pro.get_absolute_url()}#services" in mail.outbox[0].body


def test_deleting_a_clients_account_deletes_the_notes_about_them(regular, working_pro):
    services.client_note_set(pro=working_pro, client=regular, text="Private")

    account_delete(user=regular, password=PASSWORD)

    assert not ClientNote.objects.exists()


def test_a_closed_account_gets_no_invitation(regular, working_pro):
    regular.is_active = False
    regular.save()

    with pytest.raises(ValidationError, match="closed their account"):
        services.client_rebook_nudge(pro=working_pro, client=regular, weeks=2)


def test_history_is_bounded(working_pro, service, client_user):
    for i in range(selectors.CLIENT_HISTORY_MAX + 2):
        make_booking(
            client=client_user,
            service=service,
            starts_at=local_at(-400, 9) + timedelta(days=i),
            status=COMPLETED,
        )

    history = selectors.client_history(pro=working_pro, client=client_user)

    assert len(history) == selectors.CLIENT_HISTORY_MAX


def test_the_booking_page_leads_the_pro_to_the_client_card(regular, working_pro, as_pro):
    visit = regular.client_bookings.get(status=COMPLETED, starts_at=local_at(-10, 10))

    html = as_pro.get(reverse("bookings:detail", args=[visit.pk])).content.decode()
    seen_by_client = login(regular).get(reverse("bookings:detail", args=[visit.pk]))

    assert f'href="{card_url(regular)}"' in html
    assert f'href="{card_url(regular)}#rebook">Invite to book again' in html
    assert card_url(regular) not in seen_by_client.content.decode()


def test_a_search_too_long_is_a_400_that_says_so(regular, as_pro):
    response = as_pro.get(reverse("bookings:clients"), {"q": "x" * 101})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 100 characters" in response.content.decode()
