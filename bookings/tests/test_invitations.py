"""Calendar invitations in booking emails (iTIP over email, RFC 5546 / RFC 6047), read back from
the sent messages' MIME trees with icalendar."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from bookings import emails, services
from bookings.models import Booking
from conftest import local_at, make_booking

pytestmark = pytest.mark.django_db

S = Booking.Status


def invitation(message):
    """(METHOD of the inline part, its one VEVENT) after checking the MIME layout RFC 6047 and
    Outlook/Gmail want: multipart/mixed holding a multipart/alternative (plain, html,
    text/calendar with the method) and an application/ics attachment with the same calendar."""
    mime = message.message()
    assert mime.get_content_type() == "multipart/mixed"
    alternative, attachment = mime.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in alternative.get_payload()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    inline = alternative.get_payload()[2]
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_param("method") is not None
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    inline_body = inline.get_payload(decode=True)
    # Same lines (the inline text part travels 8bit, its line ends are the wire's CRLF).
    assert attachment.get_payload(decode=True).splitlines() == inline_body.splitlines()
    cal = Calendar.from_ical(inline_body)
    assert str(cal["METHOD"]) == inline.get_param("method")
    (event,) = cal.walk("VEVENT")
    return str(cal["METHOD"]), event


def has_invitation(message) -> bool:
    return "text/calendar" in {p.get_content_type() for p in message.message().walk()}


def addresses(event, name):
    values = event.get(name)
    values = values if isinstance(values, list) else [values]
    return {str(v).removeprefix("mailto:"): v for v in values}


def test_confirm_reschedule_cancel_update_one_event_with_a_rising_sequence(
    request_mode, service, client_user, commit, mailoutbox
):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    with commit():
        booking = services.booking_transition(
            booking=booking, action="confirm", by=request_mode.user
        )
    with commit():
        booking = services.booking_transition(
            booking=booking, action="reschedule", by=request_mode.user, starts_at=local_at(5, 15)
        )
    with commit():
        services.booking_transition(
            booking=booking, action="cancel", by=request_mode.user, reason="Ill"
        )

    confirmed, rescheduled, cancelled = mailoutbox
    assert [m.to for m in mailoutbox] == [[client_user.email]] * 3
    seen = [invitation(m) for m in (confirmed, rescheduled, cancelled)]
    assert [method for method, _ in seen] == ["REQUEST", "REQUEST", "CANCEL"]
    uids = {str(event["UID"]) for _, event in seen}
    assert uids == {f"booking-{booking.pk}@127.0.0.1"}
    sequences = [event["SEQUENCE"] for _, event in seen]
    assert sequences == sorted(set(sequences)), sequences  # strictly increasing
    assert [str(event["STATUS"]) for _, event in seen] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]

    starts = [event.decoded("DTSTART") for _, event in seen]
    assert starts[0] == local_at(4, 10) and starts[1] == local_at(5, 15)
    assert all(start.utcoffset() == timedelta(0) for start in starts)
    assert b"DTSTART:" in rescheduled.attachments[0][1]  # UTC "Z" form, no TZID
    assert seen[1][1].decoded("DTEND") - starts[1] == timedelta(minutes=45)


def test_the_pro_gets_the_same_event_in_the_emails_they_receive(
    working_pro, service, client_user, commit, mailoutbox
):
    with commit():
        booking = services.booking_create(
            client=client_user, service=service, starts_at=local_at(4, 10)
        )
    with commit():
        booking = services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(6, 9)
        )
    with commit():
        services.booking_transition(booking=booking, action="cancel", by=client_user)

    to_pro = [m for m in mailoutbox if m.to == [working_pro.user.email]]
    assert len(to_pro) == 3  # new booking, moved, cancelled
    seen = [invitation(m) for m in to_pro]
    assert [method for method, _ in seen] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [event["SEQUENCE"] for _, event in seen] == [0, 1, 2]
    assert len({str(event["UID"]) for _, event in seen}) == 1
    # The pro's copy names the client; the client's names the pro.
    assert "Chloé Client" in str(seen[0][1]["SUMMARY"])
    (to_client,) = [m for m in mailoutbox if m.to == [client_user.email]]
    assert "Paula Pro" in str(invitation(to_client)[1]["SUMMARY"])


def test_organizer_is_the_sender_and_both_people_attend_without_being_asked_to_answer(
    working_pro, service, client_user, commit, mailoutbox, settings
):
    settings.DEFAULT_FROM_EMAIL = "Timz Bookings <bookings@timz.example>"
    working_pro.address_line = "12 rue de la Paix"
    working_pro.save()
    with commit():
        booking = services.booking_create(
            client=client_user, service=service, starts_at=local_at(4, 10)
        )
    _, event = invitation(mailoutbox[0])

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:bookings@timz.example"
    assert organizer.params["CN"] == "Timz Bookings"
    attendees = addresses(event, "ATTENDEE")
    assert set(attendees) == {client_user.email, working_pro.user.email}
    for attendee in attendees.values():
        assert attendee.params["PARTSTAT"] == "ACCEPTED"
        assert attendee.params["RSVP"] == "FALSE"
    assert attendees[client_user.email].params["CN"] == "Chloé Client"
    assert str(event["LOCATION"]) == "12 rue de la Paix, Paris"
    link = f"http://127.0.0.1:8000/bookings/{booking.pk}/"
    assert link in str(event["DESCRIPTION"])
    assert str(event["URL"]) == link
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)


def test_a_request_is_not_an_event_until_the_pro_confirms_it(
    request_mode, service, client_user, commit, mailoutbox
):
    with commit():
        booking = services.booking_create(
            client=client_user, service=service, starts_at=local_at(4, 10)
        )
    with commit():
        services.booking_transition(
            booking=booking, action="decline", by=request_mode.user, reason="Fully booked"
        )
    requested, declined = mailoutbox
    assert requested.to == [request_mode.user.email] and declined.to == [client_user.email]
    # Neither side ever had it in a calendar: nothing to add, nothing to cancel.
    assert not has_invitation(requested) and not has_invitation(declined)
    assert requested.attachments == [] and declined.attachments == []


def test_a_confirmed_booking_moved_back_to_a_request_stays_tentative_and_a_decline_cancels_it(
    request_mode, service, client_user, commit, mailoutbox
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        booking = services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 11)
        )
    assert booking.status == S.REQUESTED
    with commit():
        services.booking_transition(
            booking=booking, action="decline", by=request_mode.user, reason="Not that day"
        )
    moved, declined = mailoutbox
    assert moved.to == [request_mode.user.email] and declined.to == [client_user.email]
    method, event = invitation(moved)
    assert method == "REQUEST" and str(event["STATUS"]) == "TENTATIVE"
    assert addresses(event, "ATTENDEE")[client_user.email].params["PARTSTAT"] == "TENTATIVE"
    method, cancelled = invitation(declined)
    assert method == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] > event["SEQUENCE"]
    assert str(cancelled["UID"]) == str(event["UID"])


def test_a_paid_booking_is_invited_once_the_payment_confirms_it(working_pro, service, client_user):
    held = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.PENDING_PAYMENT
    )
    assert not has_invitation(emails.build(held, "requested", "pro"))
    held.status = S.CONFIRMED  # what payment_received leaves
    method, _event = invitation(emails.build(held, "booked", "client"))
    assert method == "REQUEST"


def test_a_reminder_repeats_the_event_without_outranking_it(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), sequence=3
    )
    method, event = invitation(emails.build(booking, "reminder", "client"))
    assert method == "REQUEST" and event["SEQUENCE"] == 3
