"""The lifecycle's words people read: every refusal and confirmation is a sentence of its own
(translators get whole sentences, never the table's words pieced together), and the labels
follow the language active when they are read."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from bookings import lifecycle
from bookings.lifecycle import TransitionNotAllowed
from bookings.models import Booking
from bookings.tests.catalogues import use_catalogues

S = Booking.Status
PEOPLE = (lifecycle.CLIENT, lifecycle.PRO, lifecycle.STAFF)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def refusal(*, status, action, role) -> str:
    booking = Booking(status=status, starts_at=NOW + timedelta(days=3))
    with pytest.raises(TransitionNotAllowed) as refused:
        lifecycle.check(booking=booking, action=action, role=role, now=NOW, reason="Because.")
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("role", "action"),
    [
        (role, action)
        for action in lifecycle.ACTIONS
        for role in PEOPLE
        if role not in {actor for row in lifecycle.rows_for(action) for actor in row.actors}
    ],
)
def test_a_person_refused_an_action_reads_a_sentence_written_for_it(role, action):
    assert (role, action) in lifecycle._ROLE_REFUSALS
    assert refusal(status=S.CONFIRMED, action=action, role=role) == str(
        lifecycle._ROLE_REFUSALS[role, action]
    )


def test_an_action_refused_in_a_status_names_the_status_in_a_whole_sentence():
    message = refusal(status=S.COMPLETED, action="cancel", role=lifecycle.CLIENT)

    assert message == "You cannot cancel a booking whose status is “Completed”."


@pytest.mark.parametrize("action", lifecycle.ACTIONS)
def test_every_action_has_its_refusal_and_its_confirmation(action):
    assert action in lifecycle._STATUS_REFUSALS
    assert lifecycle.done_message(action).endswith(".")


def test_the_confirmations_keep_their_wording():
    assert lifecycle.done_message("confirm") == "Booking confirmed."
    assert lifecycle.done_message("no_show") == "Booking marked as a no-show."
    assert lifecycle.done_message("card_saved") == "Card saved."


def test_labels_and_messages_are_read_in_the_language_active_then(settings, tmp_path):
    """The table is built once, at import; each word is translated when it is shown."""
    use_catalogues(
        settings,
        tmp_path,
        {
            "de": {
                ("booking action", "Mark no-show"): "Nichterscheinen melden",
                ("what was done to a booking", "cancelled"): "storniert",
                "Booking cancelled.": "Buchung storniert.",
                "This can only be done before the appointment starts.": "Nur vor dem Termin.",
            }
        },
    )
    booking = Booking(status=S.CONFIRMED, starts_at=NOW - timedelta(hours=1))

    with translation.override("de"):
        assert lifecycle.action_label("no_show") == "Nichterscheinen melden"
        assert lifecycle.past_tense("cancel") == "storniert"
        assert lifecycle.done_message("cancel") == "Buchung storniert."
        with pytest.raises(TransitionNotAllowed, match="Nur vor dem Termin."):
            lifecycle.check(booking=booking, action="cancel", role=lifecycle.CLIENT, now=NOW)
    with translation.override("en"):
        assert lifecycle.action_label("no_show") == "Mark no-show"
        assert lifecycle.done_message("cancel") == "Booking cancelled."
