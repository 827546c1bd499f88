"""timz.prepared: a hot query compiled once, then run with new values; shapes it cannot keep are
refused at the first call."""

from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from conftest import local_at, make_booking
from timz import prepared

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    prepared._compiled.clear()
    yield
    prepared._compiled.clear()


def overlapping(*, client_id, starts, ends):
    return (
        Booking.objects.filter(client_id=client_id, starts_at__lt=ends, ends_at__gt=starts)
        .order_by("starts_at")
        .values_list("id", "status")
    )


def test_rows_are_the_querysets_rows_for_every_call(client_user, other_client, service):
    first = make_booking(client=client_user, service=service, starts_at=local_at(2, 10))
    second = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(3, 12))
    asks = [
        (client_user.pk, local_at(2, 0), local_at(4, 0)),
        (client_user.pk, local_at(3, 0), local_at(4, 0)),
        (other_client.pk, local_at(2, 0), local_at(4, 0)),
        (other_client.pk, local_at(5, 0), local_at(6, 0)),
    ]
    for client_id, starts, ends in asks:
        values = {"client_id": client_id, "starts": starts, "ends": ends}
        assert prepared.rows("t.overlapping", overlapping, **values) == list(overlapping(**values))
    assert prepared.rows(
        "t.overlapping",
        overlapping,
        client_id=client_user.pk,
        starts=local_at(2, 0),
        ends=local_at(4, 0),
    ) == [(first.pk, "confirmed"), (second.pk, "confirmed")]


def test_a_second_call_runs_the_sql_the_orm_writes_without_building_it(client_user, monkeypatch):
    values = {"client_id": client_user.pk, "starts": local_at(2, 0), "ends": local_at(4, 0)}
    prepared.rows("t.overlapping", overlapping, **values)
    calls = []

    def build(**given):
        calls.append(given)
        return overlapping(**given)

    other = {**values, "starts": local_at(1, 9)}
    with CaptureQueriesContext(connection) as ran:
        prepared.rows("t.overlapping", build, **other)
    with CaptureQueriesContext(connection) as orm:
        list(overlapping(**other))
    assert calls == []
    assert [q["sql"] for q in ran] == [q["sql"] for q in orm]


def test_a_value_the_query_computes_on_is_refused():
    def shifted(*, client_id, starts, ends):
        return overlapping(client_id=client_id, starts=starts - timedelta(hours=1), ends=ends)

    with pytest.raises(ValueError, match="computes on one of its values"):
        prepared.rows("t.shifted", shifted, client_id=1, starts=local_at(2, 0), ends=local_at(3, 0))


def test_sql_that_depends_on_a_value_is_refused():
    def shaped(*, client_id, starts, ends):
        qs = overlapping(client_id=client_id, starts=starts, ends=ends)
        return qs.filter(status="confirmed") if client_id % 2 else qs

    with pytest.raises(ValueError, match="depends on its values"):
        prepared.rows("t.shaped", shaped, client_id=1, starts=local_at(2, 0), ends=local_at(3, 0))


def test_a_value_the_query_does_not_use_is_refused():
    def ignoring(*, client_id, starts, ends, note_id):
        return overlapping(client_id=client_id, starts=starts, ends=ends)

    with pytest.raises(ValueError, match="does not use"):
        prepared.rows(
            "t.ignoring",
            ignoring,
            client_id=1,
            starts=local_at(2, 0),
            ends=local_at(3, 0),
            note_id=4,
        )


@pytest.mark.parametrize("value", [None, True, "1", timezone.now().replace(tzinfo=None)])
def test_only_ints_dates_and_aware_datetimes_are_taken(value):
    with pytest.raises(TypeError):
        prepared.rows(
            "t.overlapping",
            overlapping,
            client_id=value,
            starts=local_at(2, 0),
            ends=local_at(3, 0),
        )


# --- instances: model objects with their select_related rows


def bookings_with_people(*, client_id):
    return (
        Booking.objects.filter(client_id=client_id)
        .select_related("pro__user", "service", "client__client_profile")
        .order_by("starts_at")
    )


def test_instances_are_the_querysets_objects_with_their_related_rows(
    client_user, other_client, service, django_assert_num_queries
):
    make_booking(client=client_user, service=service, starts_at=local_at(2, 10))
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(3, 12))
    for who in (client_user, other_client, client_user):
        expected = list(bookings_with_people(client_id=who.pk))
        with django_assert_num_queries(1):
            found = prepared.instances("t.people", bookings_with_people, client_id=who.pk)
            seen = [
                (b.pro.user.email, b.service.name, b.client.client_profile.display_name)
                for b in found
            ]
        assert found == expected
        assert seen == [
            (b.pro.user.email, b.service.name, b.client.client_profile.display_name)
            for b in expected
        ]
        # Values come through the fields' converters, as the ORM hands them.
        assert [(b.starts_at, b.status, b.translations) for b in found] == [
            (b.starts_at, b.status, b.translations) for b in expected
        ]
        assert all(b.starts_at.tzinfo is not None and not b._state.adding for b in found)


def test_instances_of_nothing_are_an_empty_list(db):
    assert prepared.instances("t.people", bookings_with_people, client_id=-1) == []


def test_a_missing_related_row_is_none(client_user, django_assert_num_queries):
    def with_pro_profile(*, pk):
        return User.objects.select_related("pro_profile").filter(pk=pk)

    (found,) = prepared.instances("t.user", with_pro_profile, pk=client_user.pk)
    assert found == client_user
    with django_assert_num_queries(0):
        assert not hasattr(found, "pro_profile")  # known to be missing: no query


def test_instances_refuse_what_they_cannot_build(client_user):
    def annotated(*, pk):
        return Booking.objects.filter(client_id=pk).annotate(n=models.Count("events"))

    with pytest.raises(ValueError):
        prepared.instances("t.annotated", annotated, pk=client_user.pk)
