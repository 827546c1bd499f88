"""Messages of the booking domain in the reader's language: a calendar's failure in its pro's
(whoever syncs it), the hours' errors through the one wording of the engine's IntervalError,
a series' conflict dates and labels in the active language."""

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from bookings import availability, series, services
from bookings.models import ExternalCalendar
from bookings.services.series import _conflict_message
from bookings.tests.catalogue import install_german
from conftest import make_open_pro

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(settings, tmp_path):
    return install_german(settings, tmp_path)


@pytest.fixture
def pro(travel):
    travel(datetime(2027, 3, 1, 8, tzinfo=UTC))
    return make_open_pro()


@pytest.mark.usefixtures("private_hosts")
@pytest.mark.parametrize("reader", ["en", "fr"])
def test_a_calendars_failure_is_written_in_its_pros_language(pro, ics_server, german, reader):
    pro.user.language = "de"
    pro.user.save(update_fields=["language"])
    url = ics_server.serve("/broken.ics", "this is no calendar")

    # Whoever's request (or the background run) syncs it, the pro reads the failure.
    with translation.override(reader):
        calendar = services.calendar_add(pro=pro, name="Privat", url=url)
        assert translation.get_language() == reader

    calendar.refresh_from_db()
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert calendar.last_error == german["This is not an iCalendar (.ics) file."]


@pytest.mark.usefixtures("private_hosts")
def test_a_pro_without_a_language_of_their_own_reads_the_sites(pro, ics_server, german):
    url = ics_server.serve("/broken.ics", "this is no calendar")

    with translation.override("de"):
        calendar = services.calendar_add(pro=pro, name="Privat", url=url)

    assert calendar.last_error == "This is not an iCalendar (.ics) file."


def test_the_engine_says_which_intervals_do_not_make_a_day_and_the_service_words_it():
    with pytest.raises(availability.IntervalError) as caught:
        availability.day_intervals([(time(9), time(12)), (time(11), time(13))])
    assert (caught.value.first, caught.value.second) == (
        (time(9), time(12)),
        (time(11), time(13)),
    )

    with pytest.raises(availability.IntervalError) as empty:
        availability.day_intervals([(time(9), time(9))])
    assert (empty.value.first, empty.value.second) == ((time(9), time(9)), None)
    assert services.schedule.interval_message(empty.value) == (
        "09:00–09:00 has no length: give two different times."
    )


def test_overlapping_hours_are_refused_in_the_pros_language(pro, german):
    with translation.override("de"), pytest.raises(ValidationError) as caught:
        services.weekly_hours_set(
            pro=pro, weekday=0, intervals=[(time(9), time(12)), (time(11), time(13))]
        )

    assert caught.value.messages == ["09:00–12:00 und 11:00–13:00 überschneiden sich."]


def test_a_series_conflict_names_its_dates_as_the_reader_writes_them():
    taken = [
        series.Occurrence(index, date(2026, 12, day), time(10), None)
        for index, day in enumerate((1, 8, 15, 22, 29, 30, 31))
    ]

    english = _conflict_message(taken[:2])
    with translation.override("de"):
        german_dates = _conflict_message(taken)

    assert (
        english == "Not free any more on 1 Dec 2026, 8 Dec 2026. Nothing was booked: choose again."
    )
    assert "1. Dez. 2026, 8. Dez. 2026" in german_dates
    assert "29. Dez. 2026" in german_dates
    assert "30. Dez" not in german_dates  # five dates, then how many more
    assert german_dates == (
        "Nicht mehr frei: 1. Dez. 2026, 8. Dez. 2026, 15. Dez. 2026, 22. Dez. 2026, "
        "29. Dez. 2026 und 2 weitere Tage. Es wurde nichts gebucht – bitte wählen Sie erneut."
    )


@pytest.mark.parametrize(
    ("weeks", "label"), [(1, "every week"), (2, "every 2 weeks"), (12, "every 12 weeks")]
)
def test_a_series_interval_reads_as_a_whole_phrase(weeks, label):
    assert series.every_label(weeks) == label


@pytest.mark.parametrize(
    ("every_weeks", "count", "message"),
    [
        (0, 4, "The repeat interval must be a whole number from 1 to 12."),
        (2, 53, "The number of appointments must be a whole number from 2 to 52."),
        (True, 4, "The repeat interval must be a whole number from 1 to 12."),
    ],
)
def test_a_series_shape_is_refused_with_one_whole_sentence(every_weeks, count, message):
    with pytest.raises(ValueError) as caught:
        series.check_shape(every_weeks=every_weeks, count=count)

    assert str(caught.value) == message
