"""Booking emails are written for their recipient: in their language (`User.language`, else the
site's), with dates as that language writes them and times in their own zone, whoever's request
sent them. Timz's catalogues write the sentences, Django's name months and days, and Babel
writes amounts, in every language."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from bookings import emails, services
from bookings.models import Booking, RebookNudge, Review, WaitlistEntry, WaitlistOffer
from bookings.tests.catalogues import use_catalogues
from conftest import make_booking, make_open_pro, make_service, make_user

pytestmark = pytest.mark.django_db

BERLIN, PARIS = ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/Paris")
# Friday 4 December 2026, 10:00 in Berlin and Paris (the same offset: the zones are told apart
# by their names in the emails).
START = datetime(2026, 12, 4, 10, tzinfo=BERLIN)


@pytest.fixture
def scene(travel):
    """A German pro in Berlin and a French client in Paris, two weeks before START."""
    travel(datetime(2026, 11, 20, 9, tzinfo=UTC))
    pro = make_open_pro(name="Paula Pro", timezone="Europe/Berlin", city="Berlin")
    pro.user.language = "de"
    pro.user.save(update_fields=["language"])
    client = make_user(name="Chloé Client", timezone="Europe/Paris", language="fr")
    service = make_service(pro=pro, name="Haircut", price_amount=3500, currency="EUR")
    return pro, client, service


def sent_to(mailoutbox, user):
    (message,) = [m for m in mailoutbox if m.to == [user.email]]
    return message


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


def invitation_of(message):
    (ics,) = [content for name, content, _type in message.attachments if name == "invite.ics"]
    return Calendar.from_ical(ics).walk("VEVENT")[0]


def test_a_booking_made_in_english_emails_the_client_in_french_and_the_pro_in_german(
    scene, commit, mailoutbox
):
    pro, client, service = scene

    with translation.override("en"):
        with commit():
            services.booking_create(client=client, service=service, starts_at=START)
        assert translation.get_language() == "en"

    to_client, to_pro = sent_to(mailoutbox, client), sent_to(mailoutbox, pro.user)

    assert '<html lang="fr">' in html_of(to_client)
    assert "vendredi 4 décembre 2026 à 10:00" in to_client.body
    assert "vendredi 4 décembre 2026 à 10:00" in html_of(to_client)
    assert "(Europe/Paris)" in to_client.body
    # The subject too is made inside the client's language: French words, short day and month
    # names, and the no-break space French puts before a colon.
    assert to_client.subject == (
        "[Timz] Réservation confirmée\xa0: Haircut le ven 4 déc. 2026, 10:00 (Europe/Paris)"
    )
    assert "35,00" in to_client.body and "€35.00" not in to_client.body

    assert '<html lang="de">' in html_of(to_pro)
    assert "Freitag, 4. Dezember 2026, 10:00" in to_pro.body
    assert "(Europe/Berlin)" in to_pro.body
    assert (
        to_pro.subject == "[Timz] Neue Buchung: Haircut am Fr, 4. Dez. 2026, 10:00 (Europe/Berlin)"
    )
    assert "Dezember" not in to_client.body and "décembre" not in to_pro.body


def test_the_language_of_the_request_is_restored_after_the_emails(scene, commit, mailoutbox):
    pro, client, service = scene

    with translation.override("es"):
        with commit():
            services.booking_create(client=client, service=service, starts_at=START)
        assert translation.get_language() == "es"

    assert len(mailoutbox) == 2


def test_each_side_reads_the_invitation_in_their_own_language(scene):
    pro, client, service = scene
    booking = make_booking(client=client, service=service, starts_at=START)
    english = make_user(name="Eddie English")  # no language: the site's, English

    with translation.override("de"):
        to_client = emails.build(booking, "confirmed", emails.CLIENT)
        booking.client = english
        to_english = emails.build(booking, "confirmed", emails.CLIENT)

    french = str(invitation_of(to_client)["DESCRIPTION"])
    assert "35,00" in french and "€35.00" not in french
    assert '<html lang="en">' in html_of(to_english)
    assert "€35.00" in str(invitation_of(to_english)["DESCRIPTION"])
    assert "Friday 4 December 2026, 10:00" in to_english.body


def test_a_cancellation_by_the_client_reaches_the_pro_in_german(scene, commit, mailoutbox):
    pro, client, service = scene
    booking = make_booking(client=client, service=service, starts_at=START)

    with translation.override("fr"), commit():
        services.booking_transition(booking=booking, action="cancel", by=client)

    (message,) = mailoutbox
    assert message.to == [pro.user.email]
    assert '<html lang="de">' in html_of(message)
    assert "4. Dez. 2026" in message.subject
    assert "Freitag, 4. Dezember 2026, 10:00" in message.body


def test_the_reminder_reads_in_the_clients_language_and_zone(scene):
    pro, client, service = scene
    booking = make_booking(client=client, service=service, starts_at=START)

    with translation.override("en"):
        message = emails.build(booking, "reminder", emails.CLIENT)

    assert message.subject == "[Timz] Rappel\xa0: Haircut le ven 4 déc. 2026, 10:00 (Europe/Paris)"
    assert '<html lang="fr">' in html_of(message)


def test_the_book_again_email_reads_in_the_clients_language(scene, mailoutbox):
    pro, client, service = scene
    make_booking(
        client=client,
        service=service,
        starts_at=datetime(2026, 11, 6, 10, tzinfo=BERLIN),
        status=Booking.Status.COMPLETED,
    )
    nudge = RebookNudge.objects.create(
        pro=pro, client=client, weeks=2, suggested_date=date(2026, 12, 4)
    )

    with translation.override("en"):
        assert emails.send_rebook_nudge(nudge_id=nudge.pk) == 1

    (message,) = mailoutbox
    assert '<html lang="fr">' in html_of(message)
    assert "vendredi 4 décembre" in message.body
    assert message.subject == "[Timz] Envie de reprendre rendez-vous avec Paula Pro\xa0?"


def test_the_review_email_reads_in_the_pros_language(scene, mailoutbox):
    pro, client, service = scene
    booking = make_booking(
        client=client,
        service=service,
        starts_at=datetime(2026, 11, 6, 10, tzinfo=BERLIN),
        status=Booking.Status.COMPLETED,
    )
    review = Review.objects.create(booking=booking, pro=pro, author=client, rating=5)

    with translation.override("fr"):
        assert emails.send_review_email(review_id=review.pk) == 1

    (message,) = mailoutbox
    assert '<html lang="de">' in html_of(message)
    assert "6. November 2026" in message.body
    assert message.subject == "[Timz] Neue Bewertung: 5/5 von Chloé Client"


def test_the_waitlist_offer_reads_in_the_clients_language_and_zone(scene, mailoutbox):
    pro, client, service = scene
    entry = WaitlistEntry.objects.create(
        client=client,
        pro=pro,
        service=service,
        date=START.date(),
        from_time=time(9),
        to_time=time(12),
        timezone="Europe/Paris",
        status=WaitlistEntry.Status.OFFERED,
    )
    offered_at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    offer = WaitlistOffer.objects.create(
        entry=entry,
        pro=pro,
        service=service,
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        offered_at=offered_at,
        expires_at=offered_at + timedelta(minutes=15),
        token="t" * 40,
    )

    with translation.override("de"):
        assert emails.send_waitlist_offer(offer_id=offer.pk) == 1

    (message,) = mailoutbox
    assert '<html lang="fr">' in html_of(message)
    assert "vendredi 4 décembre 2026 à 10:00" in message.body
    assert "Nous vous le gardons jusqu’à 10:15 (Europe/Paris)" in message.body
    assert message.subject == (
        "[Timz] Un créneau s’est libéré\xa0: Haircut le ven 4 déc. 2026, 10:00 (Europe/Paris)"
    )


def test_each_recipient_reads_the_catalogue_of_their_language(
    scene, commit, mailoutbox, settings, tmp_path
):
    """With catalogues as translators will write them, the subject, the body and the calendar
    invitation of each side are in that side's language, from one English request."""
    use_catalogues(
        settings,
        tmp_path,
        {
            "fr": {
                "Booking confirmed: %(service)s on %(when)s": (
                    "Réservation confirmée : %(service)s, %(when)s"
                ),
                "Your booking with %(name)s is confirmed. The calendar file attached adds it "
                "to your calendar.": "Votre réservation avec %(name)s est confirmée.",
                "Price: %(price)s": "Prix : %(price)s",
            },
            "de": {
                "New booking: %(service)s on %(when)s": "Neue Buchung: %(service)s, %(when)s",
                "%(name)s booked %(service)s with you.": "%(name)s hat %(service)s gebucht.",
                "Price: %(price)s": "Preis: %(price)s",
            },
        },
    )
    pro, client, service = scene

    with translation.override("en"):
        with commit():
            services.booking_create(client=client, service=service, starts_at=START)
        assert translation.get_language() == "en"

    to_client, to_pro = sent_to(mailoutbox, client), sent_to(mailoutbox, pro.user)
    assert to_client.subject.startswith("[Timz] Réservation confirmée : Haircut, ven 4 déc.")
    assert "Votre réservation avec Paula Pro est confirmée." in to_client.body
    assert "Votre réservation avec Paula Pro est confirmée." in html_of(to_client)
    assert "Prix : 35,00" in str(invitation_of(to_client)["DESCRIPTION"])
    assert to_pro.subject.startswith("[Timz] Neue Buchung: Haircut, Fr, 4. Dez.")
    assert "Chloé Client hat Haircut gebucht." in to_pro.body
    assert "Preis: 35,00" in str(invitation_of(to_pro)["DESCRIPTION"])


def test_the_pros_calendar_feed_reads_in_the_pros_language(
    scene, client, settings, tmp_path, django_assert_max_num_queries
):
    """A calendar app fetches the feed with no session and its own Accept-Language: the events
    are written for the pro, in the same three queries."""
    use_catalogues(settings, tmp_path, {"de": {"Price: %(price)s": "Preis: %(price)s"}})
    pro, someone, service = scene
    make_booking(client=someone, service=service, starts_at=START)
    url = reverse("bookings:calendar_feed", args=[services.calendar_token_regenerate(pro=pro)])

    with django_assert_max_num_queries(3):
        response = client.get(url, headers={"accept-language": "en"})

    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert "Preis: 35,00" in str(event["DESCRIPTION"])
