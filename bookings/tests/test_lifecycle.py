"""The lifecycle table, exercised through booking_transition for every status x action x actor."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from bookings import lifecycle, services
from bookings.lifecycle import SlotUnavailable, TransitionNotAllowed
from bookings.models import Booking, BookingEvent
from conftest import (
    PASSWORD,
    local_at,
    make_booking,
    make_category,
    make_pro,
    make_service,
    make_user,
    module_data,
    set_every_day,
)

pytestmark = pytest.mark.django_db

S = Booking.Status

# The decision for every (action, actor): the statuses it may start from. Adding a row or an
# action to lifecycle.TRANSITIONS without updating this breaks test_table_matches_expectations.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("confirm", "pro"): {S.REQUESTED},
    ("confirm", "staff"): {S.REQUESTED},
    ("decline", "pro"): {S.REQUESTED},
    ("decline", "staff"): {S.REQUESTED},
    ("cancel", "client"): {S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED},
    ("cancel", "pro"): {S.PENDING_PAYMENT, S.CONFIRMED},
    ("cancel", "staff"): {S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED},
    ("complete", "pro"): {S.CONFIRMED},
    ("complete", "staff"): {S.CONFIRMED},
    ("no_show", "pro"): {S.CONFIRMED},
    ("no_show", "staff"): {S.CONFIRMED},
    ("reschedule", "client"): {S.REQUESTED, S.CONFIRMED},
    ("reschedule", "pro"): {S.REQUESTED, S.CONFIRMED},
    ("expire", "system"): {S.REQUESTED, S.PENDING_PAYMENT},
    ("payment_received", "system"): {S.PENDING_PAYMENT},
    ("payment_received", "staff"): {S.PENDING_PAYMENT},
    ("card_saved", "system"): {S.PENDING_PAYMENT},
}

TARGET = {
    "confirm": S.CONFIRMED,
    "decline": S.DECLINED,
    "cancel": S.CANCELLED,
    "complete": S.COMPLETED,
    "no_show": S.NO_SHOW,
    "expire": S.EXPIRED,
    "payment_received": S.CONFIRMED,  # instant mode
    "card_saved": S.CONFIRMED,  # instant mode
}

COMBINATIONS = [
    (status, action, role)
    for status in S.values
    for action in lifecycle.ACTIONS
    for role in lifecycle.ROLES
]


def test_table_matches_expectations():
    derived: dict[tuple[str, str], set[str]] = {}
    for row in lifecycle.TRANSITIONS:
        for role in row.actors:
            derived.setdefault((row.action, role), set()).update(row.sources)
    assert derived == EXPECTED


def test_user_actions_are_the_actions_the_table_gives_a_client_or_a_pro():
    assert lifecycle.USER_ACTIONS == (
        "confirm",
        "decline",
        "cancel",
        "complete",
        "no_show",
        "reschedule",
    )


def test_every_action_of_the_table_has_a_past_tense():
    for action in lifecycle.ACTIONS:
        assert lifecycle.past_tense(action) != action


def _actor(role, *, booking, staff_user):
    return {
        "client": booking.client,
        "pro": booking.pro.user,
        "staff": staff_user,
        "system": None,
    }[role]


def _starts_for(action):
    if action in ("complete", "no_show"):
        return timezone.now() - timedelta(hours=1)  # after the start
    return local_at(4, 10)  # before the start, outside the cancellation window


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    """The people of the combination test, built once for its hundreds of cases (see
    `conftest.module_data`): a pro working every day in instant mode with a 45-minute service,
    a client and a staff member. Their addresses are their own, so that the other tests' `pro`,
    `client_user` and `staff_user` fixtures can still be made next to them."""
    with module_data(django_db_blocker):
        pro = make_pro(category=make_category())
        set_every_day(pro)
        yield {
            "service": make_service(pro=pro, duration_minutes=45, price_amount=3500),
            "client_user": make_user(),
            "staff_user": User.objects.create_superuser(
                email="lifecycle-staff@example.com", password=PASSWORD
            ),
        }


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.mark.parametrize(("status", "action", "role"), COMBINATIONS)
def test_every_status_action_actor_combination(cast, status, action, role):
    service, client_user, staff_user = cast["service"], cast["client_user"], cast["staff_user"]
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=_starts_for(action),
        status=status,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    by = _actor(role, booking=booking, staff_user=staff_user)
    kwargs = {"reason": "Because."}
    if action == "reschedule":
        kwargs["starts_at"] = local_at(5, 14)

    allowed = status in EXPECTED.get((action, role), set())
    if allowed:
        done = services.booking_transition(booking=booking, action=action, by=by, **kwargs)
        expected = TARGET.get(action, status)
        assert done.status == expected
        event = BookingEvent.objects.filter(booking=booking).last()
        assert (event.actor_role, event.from_status, event.to_status) == (role, status, expected)
    else:
        with pytest.raises(TransitionNotAllowed):
            services.booking_transition(booking=booking, action=action, by=by, **kwargs)
        booking.refresh_from_db()
        assert booking.status == status
        assert booking.events.count() == 1


def test_a_stranger_can_take_no_action(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    stranger = make_user()
    assert lifecycle.allowed_actions(booking=booking, user=stranger, now=timezone.now()) == []
    with pytest.raises(TransitionNotAllowed):
        services.booking_transition(booking=booking, action="cancel", by=stranger)


def test_unknown_action_is_refused(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(TransitionNotAllowed, match="not a booking action"):
        services.booking_transition(booking=booking, action="teleport", by=client_user)


# --- time guards ---------------------------------------------------------------------------


def test_client_cancel_outside_the_window_is_not_late(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert done.status == S.CANCELLED
    assert done.is_late_cancellation is False
    assert done.events.last().reason == ""


def test_client_cancel_inside_the_window_is_a_late_cancellation(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=5)
    )
    done = services.booking_transition(
        booking=booking, action="cancel", by=client_user, reason="Train strike"
    )
    assert done.is_late_cancellation is True
    assert done.events.last().reason == "Late cancellation: Train strike"


def test_cancelling_a_request_inside_the_window_is_not_late(working_pro, service, client_user):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() + timedelta(hours=5),
        status=S.REQUESTED,
    )
    done = services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert done.is_late_cancellation is False


def test_client_cannot_cancel_after_the_start(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(TransitionNotAllowed, match="before the appointment starts"):
        services.booking_transition(booking=booking, action="cancel", by=client_user)


def test_pro_cannot_complete_before_the_start(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(TransitionNotAllowed, match="once the appointment has started"):
        services.booking_transition(booking=booking, action="complete", by=working_pro.user)


def test_pro_marks_a_started_booking_as_no_show(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=timezone.now() - timedelta(minutes=1)
    )
    done = services.booking_transition(booking=booking, action="no_show", by=working_pro.user)
    assert done.status == S.NO_SHOW


def test_pro_must_give_a_reason_to_decline(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    with pytest.raises(TransitionNotAllowed) as caught:
        services.booking_transition(booking=booking, action="decline", by=working_pro.user)
    assert caught.value.code == "reason_required"


def test_pro_must_give_a_reason_to_cancel(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(TransitionNotAllowed, match="reason"):
        services.booking_transition(booking=booking, action="cancel", by=working_pro.user)
    done = services.booking_transition(
        booking=booking, action="cancel", by=working_pro.user, reason="I am ill"
    )
    assert done.events.last().reason == "I am ill"


def test_system_cannot_expire_before_the_expiry_time(working_pro, service, client_user):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 10),
        status=S.REQUESTED,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(TransitionNotAllowed, match="not expired"):
        services.booking_transition(booking=booking, action="expire", by=None)


def test_reschedule_is_refused_inside_the_cancellation_window(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=10)
    )
    with pytest.raises(TransitionNotAllowed, match="too close"):
        services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 10)
        )


# --- reschedule ------------------------------------------------------------------------------


def test_reschedule_to_a_free_slot_moves_the_booking(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), reminder_sent_at=None
    )
    new = local_at(5, 15)
    done = services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=new
    )
    assert done.starts_at == new
    assert done.ends_at == new + timedelta(minutes=service.duration_minutes)
    assert done.status == S.CONFIRMED
    assert done.sequence == 1
    assert done.events.last().reason.startswith("Moved from")


def test_reschedule_to_a_taken_slot_is_refused(working_pro, service, client_user, other_client):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(5, 15))
    with pytest.raises(SlotUnavailable):
        services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 15, 15)
        )
    booking.refresh_from_db()
    assert booking.starts_at == local_at(4, 10)


def test_reschedule_may_overlap_the_bookings_own_slot(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=local_at(4, 10, 15)
    )
    assert done.starts_at == local_at(4, 10, 15)


def test_reschedule_to_the_same_time_is_refused(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(Exception, match="different time"):
        services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(4, 10)
        )


def test_reschedule_outside_working_hours_is_refused(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(SlotUnavailable):
        services.booking_transition(
            booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 22)
        )


def test_client_reschedule_in_request_mode_goes_back_to_requested(
    request_mode, service, client_user
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=local_at(6, 9)
    )
    assert done.status == S.REQUESTED
    assert done.expires_at is not None
    assert done.expires_at <= done.starts_at
    assert "confirm" in lifecycle.allowed_actions(
        booking=done, user=request_mode.user, now=timezone.now()
    )


def test_pro_reschedule_in_request_mode_keeps_the_booking_confirmed(
    request_mode, service, client_user
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = services.booking_transition(
        booking=booking, action="reschedule", by=request_mode.user, starts_at=local_at(6, 9)
    )
    assert done.status == S.CONFIRMED


def test_reschedule_needs_a_new_time(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(Exception, match="Pick the new time"):
        services.booking_transition(booking=booking, action="reschedule", by=client_user)


# --- allowed_actions and the signal -----------------------------------------------------------


def test_allowed_actions_follow_role_status_and_time(working_pro, service, client_user):
    now = timezone.now()
    upcoming = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    assert lifecycle.allowed_actions(booking=upcoming, user=client_user, now=now) == [
        "cancel",
        "reschedule",
    ]
    assert lifecycle.allowed_actions(booking=upcoming, user=working_pro.user, now=now) == [
        "confirm",
        "decline",
        "reschedule",
    ]
    started = make_booking(
        client=client_user, service=service, starts_at=now - timedelta(minutes=30)
    )
    assert lifecycle.allowed_actions(booking=started, user=working_pro.user, now=now) == [
        "complete",
        "no_show",
    ]
    assert lifecycle.allowed_actions(booking=started, user=client_user, now=now) == []


def test_transition_sends_the_booking_transitioned_signal(working_pro, service, client_user):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    lifecycle.booking_transitioned.connect(receiver)
    try:
        services.booking_transition(booking=booking, action="confirm", by=working_pro.user)
    finally:
        lifecycle.booking_transitioned.disconnect(receiver)
    assert len(received) == 1
    assert received[0]["action"] == "confirm"
    assert received[0]["from_status"] == S.REQUESTED
    assert received[0]["to_status"] == S.CONFIRMED
    assert received[0]["actor"] == working_pro.user
    assert received[0]["booking"].pk == booking.pk


def test_payment_received_in_request_mode_waits_for_the_pro(request_mode, service, client_user):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 10),
        status=S.PENDING_PAYMENT,
        expires_at=timezone.now() + timedelta(minutes=20),
    )
    done = services.booking_transition(booking=booking, action="payment_received", by=None)
    assert done.status == S.REQUESTED
    assert done.expires_at > timezone.now() + timedelta(hours=1)


# --- the admin goes through the same table ----------------------------------------------------


def test_admin_cancel_action_uses_the_lifecycle_as_staff(
    client, staff_user, working_pro, service, client_user
):
    upcoming = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    done = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=2),
        status=S.COMPLETED,
    )
    client.force_login(staff_user)
    response = client.post(
        "/admin/bookings/booking/",
        {"action": "staff_cancel", "_selected_action": [upcoming.pk, done.pk]},
        follow=True,
    )
    assert response.status_code == 200
    upcoming.refresh_from_db()
    done.refresh_from_db()
    assert upcoming.status == S.CANCELLED
    assert done.status == S.COMPLETED
    event = upcoming.events.last()
    assert (event.actor, event.actor_role) == (staff_user, "staff")
    assert event.reason == "Cancelled by Timz staff."
    text = response.content.decode()
    assert "1 booking updated." in text
    assert f"#{done.pk}" in text


def test_admin_offers_each_button_action_the_table_gives_staff():
    from django.contrib import admin

    booking_admin = admin.site._registry[Booking]
    names = [action.__name__ for action in booking_admin.actions]
    assert names == [
        "staff_confirm",
        "staff_decline",
        "staff_cancel",
        "staff_complete",
        "staff_no_show",
    ]


def test_admin_decline_records_the_staff_reason_the_table_requires(
    client, staff_user, working_pro, service, client_user
):
    requested = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    client.force_login(staff_user)
    client.post(
        "/admin/bookings/booking/",
        {"action": "staff_decline", "_selected_action": [requested.pk]},
    )
    requested.refresh_from_db()
    assert requested.status == S.DECLINED
    assert requested.events.last().reason == "Declined by Timz staff."


def test_admin_booking_pages_render_with_status_read_only(
    client, staff_user, working_pro, service, client_user
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    client.force_login(staff_user)
    listing = client.get("/admin/bookings/booking/", {"q": client_user.email})
    assert listing.status_code == 200
    assert "Haircut" in listing.content.decode()
    change = client.get(f"/admin/bookings/booking/{booking.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="status"' not in html
    assert "cancel" in html  # "Staff may now"


@pytest.mark.parametrize(
    "model",
    [
        "service",
        "bookingrules",
        "weeklyhours",
        "dateoverride",
        "dateoverrideinterval",
        "timeoff",
        "bookingevent",
        "review",
    ],
)
def test_admin_changelists_render(client, staff_user, working_pro, service, model):
    client.force_login(staff_user)
    assert client.get(f"/admin/bookings/{model}/").status_code == 200
