"""My bookings, the agenda, the booking detail and the actions taken from them."""

import dataclasses
import re
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import lifecycle, services
from bookings.models import Booking, Review
from bookings.tests.conftest_pages import *  # noqa: F403
from bookings.tests.conftest_pages import page_client
from conftest import local_at, make_booking, make_pro

pytestmark = pytest.mark.django_db

S = Booking.Status


@pytest.fixture
def confirmed(client_user, open_service):
    return make_booking(client=client_user, service=open_service, starts_at=local_at(5, 10))


@pytest.fixture
def requested(client_user, open_service):
    return make_booking(
        client=client_user, service=open_service, starts_at=local_at(4, 15), status=S.REQUESTED
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# My bookings ----------------------------------------------------------------------------------


def test_my_bookings_lists_upcoming_with_status_time_pro_price_and_actions(
    as_client, client_user, confirmed
):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    response = as_client.get(reverse("bookings:my_bookings"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Haircut" in html and "Paula Pro" in html and "€35.00" in html
    assert 'class="badge badge-ok">Confirmed<' in html
    new_york = confirmed.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{new_york:%H:%M} {new_york.tzname()}" in html  # EST or EDT, whatever the date
    assert reverse("bookings:reschedule", args=[confirmed.pk]) in html
    assert reverse("bookings:cancel", args=[confirmed.pk]) in html


def test_my_bookings_past_tab_offers_a_review_only_when_allowed(
    as_client, client_user, open_service
):
    recent = make_booking(
        client=client_user, service=open_service, starts_at=local_at(-2, 10), status=S.COMPLETED
    )
    old = make_booking(
        client=client_user, service=open_service, starts_at=local_at(-40, 10), status=S.COMPLETED
    )
    reviewed = make_booking(
        client=client_user, service=open_service, starts_at=local_at(-3, 10), status=S.COMPLETED
    )
    Review.objects.create(booking=reviewed, pro=reviewed.pro, author=client_user, rating=5)
    html = as_client.get(reverse("bookings:my_bookings") + "?scope=past").content.decode()
    assert reverse("bookings:review", args=[recent.pk]) in html
    assert reverse("bookings:review", args=[old.pk]) not in html
    assert reverse("bookings:review", args=[reviewed.pk]) not in html


def test_my_bookings_shows_only_the_users_own_bookings(as_other, confirmed):
    response = as_other.get(reverse("bookings:my_bookings"))
    assert response.status_code == HTTPStatus.OK
    assert response.context["cards"] == []
    assert "Haircut" not in response.content.decode()


@pytest.fixture
def one_of_each(client_user, open_service, now):
    """A booking of `client_user` in each state a tab is about, by name."""
    made = {}
    for name, days, status in [
        ("confirmed", 5, S.CONFIRMED),
        ("requested", 6, S.REQUESTED),
        ("cancelled", 7, S.CANCELLED),
        ("declined", 8, S.DECLINED),
        ("expired", 9, S.EXPIRED),
        ("completed", -2, S.COMPLETED),
        ("no_show", -3, S.NO_SHOW),
        ("past_confirmed", -4, S.CONFIRMED),
    ]:
        made[name] = make_booking(
            client=client_user, service=open_service, starts_at=local_at(days, 10), status=status
        )
    return made


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("upcoming", ["confirmed", "requested"]),
        ("past", ["completed", "no_show", "past_confirmed"]),
        ("cancelled", ["expired", "declined", "cancelled"]),
    ],
)
def test_my_bookings_tabs_hold_their_own_bookings(as_client, one_of_each, scope, expected):
    response = as_client.get(reverse("bookings:my_bookings"), {"scope": scope})
    assert response.status_code == HTTPStatus.OK
    assert [card.booking.pk for card in response.context["cards"]] == [
        one_of_each[name].pk for name in expected
    ]
    counts = {tab["scope"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"upcoming": 2, "past": 3, "cancelled": 3}
    html = response.content.decode()
    assert f'href="/bookings/mine/?scope={scope}" aria-current="page"' in html


def test_my_bookings_upcoming_is_the_default_tab(as_client, one_of_each):
    response = as_client.get(reverse("bookings:my_bookings"))
    assert response.context["scope"] == "upcoming"
    assert one_of_each["cancelled"].pk not in [c.booking.pk for c in response.context["cards"]]


def test_my_bookings_unknown_scope_is_400(as_client):
    response = as_client.get(reverse("bookings:my_bookings"), {"scope": "someday"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Upcoming, Past or Cancelled" in response.content.decode()


def test_my_bookings_sends_visitors_to_login(client):
    response = client.get(reverse("bookings:my_bookings"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


# Agenda ---------------------------------------------------------------------------------------


def test_agenda_puts_requests_on_top_and_lists_the_day(as_pro, requested, confirmed):
    response = as_pro.get(reverse("bookings:agenda") + f"?date={confirmed.starts_at.date()}")
    assert response.status_code == HTTPStatus.OK
    assert [c.booking.pk for c in response.context["requests"]] == [requested.pk]
    day_cards = response.context["days"][0]["cards"]
    assert [c.booking.pk for c in day_cards] == [confirmed.pk]
    html = response.content.decode()
    assert html.index("Requests waiting for you") < html.index("agenda-days")
    assert "Chloé Client" in html and ">11:00<" not in html and ">10:00<" in html


def test_agenda_week_view_shows_seven_days(as_pro, confirmed, requested):
    response = as_pro.get(
        reverse("bookings:agenda") + f"?view=week&date={confirmed.starts_at.date()}"
    )
    days = response.context["days"]
    assert len(days) == 7 and days[0]["day"].weekday() == 6  # an English week starts on Sunday
    shown = [c.booking.pk for d in days for c in d["cards"]]
    assert confirmed.pk in shown


def test_agenda_week_places_each_booking_on_the_grid_by_its_time(as_pro, confirmed, requested):
    response = as_pro.get(
        reverse("bookings:agenda") + f"?view=week&date={confirmed.starts_at.date()}"
    )
    placed = {
        p["card"].booking.pk: (p["row"], p["span"], p["lane"])
        for d in response.context["days"]
        for p in d["pieces"]
    }
    # The window starts at 08:00 in 5-minute rows: 10:00 is row 25; 45 minutes span 9 rows.
    assert placed[confirmed.pk] == (25, 9, "lane-1-0")
    html = response.content.decode()
    assert 'class="agenda-slot ag-r25 ag-s9 lane-1-0' in html
    assert '<ol class="agenda-track ag-h10">' in html  # 08:00-18:00, read as lists per day


def test_agenda_marks_requests_and_prepaid_bookings(as_pro, confirmed, requested):
    from payments.models import Payment

    Payment.objects.create(
        booking=confirmed,
        backend=Payment.Backend.OFFLINE,
        amount=confirmed.price_amount,
        fee=0,
        currency=confirmed.currency,
        status=Payment.Status.SUCCEEDED,
        paid_at=timezone.now(),
    )

    # Each booking on its own week's page: the two may fall in different weeks, by today's date.
    def week_of(booking):
        url = reverse("bookings:agenda") + f"?view=week&date={booking.starts_at.date()}"
        return as_pro.get(url).content.decode()

    html = week_of(confirmed)
    assert f'status-confirmed is-prepaid" id="agenda-{confirmed.pk}"' in html
    assert html.count('data-testid="prepaid"') == 1
    assert f'status-requested" id="agenda-{requested.pk}"' in week_of(requested)


def test_agenda_shows_an_overnight_booking_on_both_days(as_pro, client_user, open_service):
    late = make_booking(client=client_user, service=open_service, starts_at=local_at(2, 23, 30))
    response = as_pro.get(reverse("bookings:agenda") + f"?view=day&date={local_at(3, 9).date()}")
    assert [c.booking.pk for c in response.context["days"][0]["cards"]] == [late.pk]


def test_agenda_fragment_is_the_part_below_the_title(as_pro, confirmed, requested):
    response = as_pro.get(
        reverse("bookings:agenda") + "?view=week", headers={"X-Timz-Fragment": "agenda"}
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode().strip()
    assert html.startswith('<div id="agenda-live"') and "<html" not in html
    assert 'data-url="/bookings/agenda/?view=week"' in html


def test_a_confirmed_request_leaves_requests_waiting_after_the_redirect(as_pro, requested):
    back = reverse("bookings:agenda") + f"?date={requested.starts_at.date()}"
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "confirm"]), {"next": back}, follow=True
    )
    assert response.context["requests"] == []
    (card,) = response.context["days"][0]["cards"]
    assert (card.booking.pk, card.booking.status) == (requested.pk, S.CONFIRMED)
    assert "Requests waiting" not in response.content.decode()


def test_a_request_card_answered_in_place_keeps_its_date(as_pro, requested):
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "decline"]),
        {"reason": " ", "show_date": "1"},
        headers={"X-Timz-Fragment": "card"},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    when = requested.starts_at.astimezone(ZoneInfo("Europe/Paris"))
    assert f'<span data-testid="date">{when:%a} {when.day} {when:%b}</span>' in (
        response.content.decode()
    )


def test_agenda_opens_on_todays_list_and_the_week_is_one_click_away(as_pro, pro, now):
    response = as_pro.get(reverse("bookings:agenda"))
    today = now.astimezone(ZoneInfo(pro.timezone)).date()
    assert response.context["view"] == "day" and response.context["days"][0]["day"] == today
    html = response.content.decode()
    assert 'class="agenda-days"' in html and "agenda-grid" not in html
    assert f'href="/bookings/agenda/?view=week&amp;date={today.isoformat()}"' in html


@pytest.mark.parametrize("query", ["?view=month", "?date=2026-13-01", "?date=soon"])
def test_agenda_bad_parameters_are_400(as_pro, query):
    assert as_pro.get(reverse("bookings:agenda") + query).status_code == HTTPStatus.BAD_REQUEST


def test_pro_confirms_a_request_in_place(as_pro, requested):
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "confirm"]),
        headers={"X-Timz-Fragment": "card"},
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert html.lstrip().startswith("<article") and "Booking confirmed." in html
    requested.refresh_from_db()
    assert requested.status == S.CONFIRMED


def test_decline_without_a_reason_is_409_in_place(as_pro, requested):
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "decline"]),
        {"reason": " "},
        headers={"X-Timz-Fragment": "card"},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "Please give a reason." in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == S.REQUESTED


def test_pro_declines_with_a_reason_and_goes_back(as_pro, requested):
    back = reverse("bookings:agenda") + "?view=week"
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "decline"]),
        {"reason": "Fully booked that day", "next": back},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == back
    requested.refresh_from_db()
    assert requested.status == S.DECLINED
    assert requested.events.last().reason == "Fully booked that day"


def test_next_pointing_elsewhere_is_ignored(as_pro, requested):
    response = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "confirm"]),
        {"next": "https://evil.example/steal"},
    )
    assert response["Location"] == reverse("bookings:detail", args=[requested.pk])


def test_pro_marks_a_started_booking_completed(as_pro, client_user, open_service):
    started = make_booking(
        client=client_user, service=open_service, starts_at=timezone.now() - timedelta(hours=2)
    )
    as_pro.post(reverse("bookings:act", args=[started.pk, "complete"]))
    started.refresh_from_db()
    assert started.status == S.COMPLETED


# Actions: refusals ----------------------------------------------------------------------------


def test_action_not_allowed_now_is_a_message_and_a_redirect(as_client, confirmed):
    response = as_client.post(reverse("bookings:act", args=[confirmed.pk, "complete"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("bookings:detail", args=[confirmed.pk])
    assert any("cannot complete" in m for m in messages_of(response))
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED


def test_action_not_allowed_as_a_fragment_is_409(as_client, confirmed):
    response = as_client.post(
        reverse("bookings:act", args=[confirmed.pk, "complete"]),
        headers={"X-Timz-Fragment": "card"},
    )
    assert response.status_code == HTTPStatus.CONFLICT


def test_unknown_action_is_404(as_pro, confirmed):
    assert as_pro.post(reverse("bookings:act", args=[confirmed.pk, "explode"])).status_code == 404


def test_reschedule_is_not_a_one_button_action(as_pro, confirmed):
    response = as_pro.post(reverse("bookings:act", args=[confirmed.pk, "reschedule"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_action_buttons_and_messages_read_the_lifecycle_table(monkeypatch, as_pro, requested):
    relabelled = tuple(
        dataclasses.replace(row, label="Say yes") if row.action == "confirm" else row
        for row in lifecycle.TRANSITIONS
    )
    monkeypatch.setattr(lifecycle, "TRANSITIONS", relabelled)
    monkeypatch.setattr(lifecycle, "done_message", lambda action: f"Table says: {action} done.")

    page = as_pro.get(reverse("bookings:detail", args=[requested.pk])).content.decode()
    done = as_pro.post(
        reverse("bookings:act", args=[requested.pk, "confirm"]),
        headers={"X-Timz-Fragment": "card"},
    ).content.decode()

    assert ">Say yes</button>" in page
    assert "Table says: confirm done." in done


def test_actions_need_post(as_pro, confirmed):
    response = as_pro.get(reverse("bookings:act", args=[confirmed.pk, "cancel"]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_actions_are_csrf_protected(pro, confirmed):
    strict = page_client(pro.user)
    strict.handler.enforce_csrf_checks = True
    response = strict.post(reverse("bookings:act", args=[confirmed.pk, "cancel"]), {"reason": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED


# Detail, cancel, reschedule, ics -------------------------------------------------------------


def test_detail_shows_summary_timeline_and_links_for_the_client(as_client, confirmed):
    response = as_client.get(reverse("bookings:detail", args=[confirmed.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Timeline" in html
    assert 'event-title">Booked</strong> <span class="badge badge-ok">Confirmed</span>' in html
    assert reverse("bookings:ics", args=[confirmed.pk]) in html
    assert response.context["card"].actions == ["cancel", "reschedule"]


def test_detail_shows_the_pro_the_reason_forms(as_pro, confirmed):
    response = as_pro.get(reverse("bookings:detail", args=[confirmed.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response.context["card"].reason_actions == ["cancel"]
    assert 'name="reason"' in response.content.decode()


def test_a_pro_who_booked_another_pro_reads_the_booking_in_their_own_pro_zone(open_service):
    booker = make_pro(timezone="America/New_York")
    booker.user.client_profile.timezone = "Asia/Tokyo"
    booker.user.client_profile.save()
    booking = make_booking(client=booker.user, service=open_service, starts_at=local_at(5, 10))
    response = page_client(booker.user).get(reverse("bookings:detail", args=[booking.pk]))
    assert response.context["zone"].key == "America/New_York"


def test_client_cancels_through_the_confirm_step(as_client, confirmed):
    page = as_client.get(reverse("bookings:cancel", args=[confirmed.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "late cancellation" not in page.content.decode()
    response = as_client.post(reverse("bookings:act", args=[confirmed.pk, "cancel"]))
    assert response.status_code == HTTPStatus.FOUND
    confirmed.refresh_from_db()
    assert confirmed.status == S.CANCELLED and not confirmed.is_late_cancellation


def test_cancel_page_warns_about_a_late_cancellation(as_client, client_user, open_service):
    soon = make_booking(
        client=client_user, service=open_service, starts_at=timezone.now() + timedelta(hours=5)
    )
    services.booking_rules_update(pro=open_service.pro, late_cancellation_fee_percent=40)
    html = as_client.get(reverse("bookings:cancel", args=[soon.pk])).content.decode()
    assert "This is a late cancellation." in html and "40%" in html
    as_client.post(reverse("bookings:act", args=[soon.pk, "cancel"]))
    soon.refresh_from_db()
    assert soon.status == S.CANCELLED and soon.is_late_cancellation


def test_pro_cancel_needs_a_reason(as_pro, confirmed):
    response = as_pro.post(reverse("bookings:act", args=[confirmed.pk, "cancel"]), follow=True)
    assert any("Please give a reason." in m for m in messages_of(response))
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED


def test_client_reschedules_to_a_free_time(as_client, confirmed):
    page = as_client.get(reverse("bookings:reschedule", args=[confirmed.pk]))
    assert page.status_code == HTTPStatus.OK
    assert page.context["picker"]["times"]
    new_start = local_at(6, 14)
    response = as_client.post(
        reverse("bookings:reschedule", args=[confirmed.pk]), {"start": new_start.isoformat()}
    )
    assert response.status_code == HTTPStatus.FOUND
    confirmed.refresh_from_db()
    assert confirmed.starts_at == new_start


def test_rescheduling_to_a_taken_time_says_it_is_no_longer_available(
    as_client, other_client, open_service, confirmed
):
    taken = local_at(6, 14)
    make_booking(client=other_client, service=open_service, starts_at=taken)
    response = as_client.post(
        reverse("bookings:reschedule", args=[confirmed.pk]), {"start": taken.isoformat()}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "no longer available" in response.content.decode()
    assert response.context["picker"]["day"] == taken.date()
    confirmed.refresh_from_db()
    assert confirmed.starts_at == local_at(5, 10)


def test_picking_a_new_time_asks_to_confirm_before_moving(as_client, confirmed):
    new_start = local_at(6, 14)
    url = reverse("bookings:reschedule", args=[confirmed.pk])
    page = as_client.get(url, {"start": new_start.isoformat()})
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    old, new = local_at(5, 10), new_start
    assert f"Move your booking from {old:%a %-d %b, %H:%M} {old.tzname()} to " in html
    assert f"{new:%a %-d %b, %H:%M} {new.tzname()}?" in html
    assert f'name="sequence" value="{confirmed.sequence}"' in html
    assert "Confirm the new time" in html
    confirmed.refresh_from_db()
    assert confirmed.starts_at == local_at(5, 10)  # nothing moved yet

    response = as_client.post(
        url, {"start": new_start.isoformat(), "sequence": str(confirmed.sequence)}
    )
    assert response["Location"] == reverse("bookings:detail", args=[confirmed.pk])
    confirmed.refresh_from_db()
    assert confirmed.starts_at == new_start


def test_confirming_a_move_of_a_booking_changed_meanwhile_is_409(as_client, confirmed):
    url = reverse("bookings:reschedule", args=[confirmed.pk])
    shown = confirmed.sequence
    services.booking_transition(
        booking=confirmed, action="reschedule", by=confirmed.client, starts_at=local_at(7, 9)
    )
    response = as_client.post(url, {"start": local_at(6, 14).isoformat(), "sequence": shown})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "changed in the meantime" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.starts_at == local_at(7, 9)


def test_confirm_step_for_a_taken_time_shows_the_picker_with_409(
    as_client, other_client, open_service, confirmed
):
    taken = local_at(6, 14)
    make_booking(client=other_client, service=open_service, starts_at=taken)
    response = as_client.get(
        reverse("bookings:reschedule", args=[confirmed.pk]), {"start": taken.isoformat()}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "no longer available" in response.content.decode()


def test_timeline_reads_moved_from_to_in_the_viewers_zone(as_client, client_user, confirmed):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    new_start = local_at(6, 14)
    as_client.post(
        reverse("bookings:reschedule", args=[confirmed.pk]), {"start": new_start.isoformat()}
    )
    event = confirmed.events.last()
    assert (event.action, event.old_starts_at, event.new_starts_at) == (
        "reschedule",
        local_at(5, 10),
        new_start,
    )
    html = as_client.get(reverse("bookings:detail", args=[confirmed.pk])).content.decode()
    york = ZoneInfo("America/New_York")
    old, new = local_at(5, 10).astimezone(york), new_start.astimezone(york)
    assert (
        f"Moved from {old:%a %-d %b, %H:%M} {old.tzname()} to {new:%a %-d %b, %H:%M} {new.tzname()}"
    ) in html
    assert "Confirmed →" not in html and " UTC" not in html
    assert '<strong data-testid="event-title">Booked</strong>' in html


def test_timeline_reads_other_events_in_past_tenses(as_client, as_pro, requested):
    as_pro.post(reverse("bookings:act", args=[requested.pk, "confirm"]))
    as_client.post(reverse("bookings:act", args=[requested.pk, "cancel"]))
    html = as_client.get(reverse("bookings:detail", args=[requested.pk])).content.decode()
    titles = re.findall(r'data-testid="event-title">([^<]+)<', html)
    assert titles == ["Booked", "Confirmed", "Cancelled"]


def test_reschedule_with_a_bad_start_is_400(as_client, confirmed):
    response = as_client.post(reverse("bookings:reschedule", args=[confirmed.pk]), {"start": "x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_ics_download_for_participants(as_client, as_pro, confirmed):
    for c in (as_client, as_pro):
        response = c.get(reverse("bookings:ics", args=[confirmed.pk]))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"].startswith("text/calendar")
        assert "attachment" in response["Content-Disposition"]
        assert b"BEGIN:VEVENT" in response.content


# Reviews -------------------------------------------------------------------------------------


@pytest.fixture
def completed(client_user, open_service):
    return make_booking(
        client=client_user, service=open_service, starts_at=local_at(-1, 10), status=S.COMPLETED
    )


def test_client_reviews_a_completed_booking(as_client, completed):
    assert as_client.get(reverse("bookings:review", args=[completed.pk])).status_code == 200
    response = as_client.post(
        reverse("bookings:review", args=[completed.pk]), {"rating": "4", "text": "Great cut"}
    )
    assert response.status_code == HTTPStatus.FOUND
    review = Review.objects.get(booking=completed)
    assert (review.rating, review.text) == (4, "Great cut")


def test_review_needs_a_rating(as_client, completed):
    response = as_client.post(reverse("bookings:review", args=[completed.pk]), {"text": "Hm"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["rating"]
    assert not Review.objects.exists()


def test_review_of_a_booking_not_completed_is_refused_with_the_services_reason(
    as_client, client_user, confirmed
):
    refusal = services.review_refusal(booking=confirmed, by=client_user, now=timezone.now())
    response = as_client.get(reverse("bookings:review", args=[confirmed.pk]), follow=True)
    assert refusal == "You can review a booking once it is completed."
    assert messages_of(response) == [refusal]


def test_pro_replies_to_a_review_once(as_pro, client_user, completed):
    Review.objects.create(booking=completed, pro=completed.pro, author=client_user, rating=5)
    page = as_pro.get(reverse("bookings:detail", args=[completed.pk]))
    assert page.context["reply_form"] is not None
    as_pro.post(reverse("bookings:review_reply", args=[completed.pk]), {"text": "Thanks!"})
    assert Review.objects.get(booking=completed).reply == "Thanks!"
    again = as_pro.post(
        reverse("bookings:review_reply", args=[completed.pk]), {"text": "Again"}, follow=True
    )
    assert any("already replied" in m for m in messages_of(again))


def test_empty_reply_is_a_form_error(as_pro, client_user, completed):
    Review.objects.create(booking=completed, pro=completed.pro, author=client_user, rating=5)
    response = as_pro.post(reverse("bookings:review_reply", args=[completed.pk]), {"text": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This field is required." in response.content.decode()


# Hostile input never gives a 500 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/bookings/agenda/?date=9999-12-31",
        "/bookings/agenda/?date=0001-01-01&view=week",
        "/bookings/99999999999999999999999/",
        "/bookings/99999999999999999999999/booking.ics",
    ],
)
def test_out_of_range_values_are_4xx_for_the_pro(as_pro, path):
    assert 400 <= as_pro.get(path).status_code < 500


@pytest.mark.parametrize(
    "query",
    [
        {"date": "9999-12-31"},
        {"from": "0001-01-01"},
        {"tz": "x" * 500},
        {"tz": "../../etc/passwd"},
        {"date": "2026-1-1"},
    ],
)
def test_out_of_range_flow_parameters_are_400(client, open_service, query):
    url = reverse("bookings:book", args=[open_service.pro.slug, open_service.pk])
    assert client.get(url, query).status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"])
def test_out_of_range_start_is_400(as_client, open_service, start):
    url = reverse("bookings:confirm", args=[open_service.pro.slug, open_service.pk])
    assert as_client.get(url, {"start": start}).status_code == HTTPStatus.BAD_REQUEST
    assert as_client.post(url, {"start": start}).status_code == HTTPStatus.BAD_REQUEST


def test_reschedule_picker_opens_on_the_bookings_current_day(as_client, confirmed):
    page = as_client.get(reverse("bookings:reschedule", args=[confirmed.pk]))
    assert page.context["picker"]["day"] == local_at(5, 10).date()


def test_staff_can_read_any_booking(staff_user, confirmed):
    response = page_client(staff_user).get(reverse("bookings:detail", args=[confirmed.pk]))
    assert response.status_code == HTTPStatus.OK


def test_reschedule_picker_fragment(as_client, confirmed):
    response = as_client.get(
        reverse("bookings:reschedule", args=[confirmed.pk]),
        {"date": local_at(6, 9).date().isoformat()},
        headers={"X-Timz-Fragment": "picker"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="picker"')
    # Times lead to the confirm step (a GET), never straight to the move.
    assert f'href="{reverse("bookings:reschedule", args=[confirmed.pk])}?start=' in html
    assert 'method="post"' not in html


def test_pro_reschedules_from_the_agenda_link(as_pro, confirmed):
    new_start = local_at(7, 11)
    response = as_pro.post(
        reverse("bookings:reschedule", args=[confirmed.pk]), {"start": new_start.isoformat()}
    )
    assert response.status_code == HTTPStatus.FOUND
    confirmed.refresh_from_db()
    assert confirmed.starts_at == new_start and confirmed.status == S.CONFIRMED


def test_too_long_reason_is_refused_and_nothing_changes(as_client, confirmed):
    response = as_client.post(
        reverse("bookings:act", args=[confirmed.pk, "cancel"]), {"reason": "x" * 501}, follow=True
    )
    assert any("at most 500 characters" in m for m in messages_of(response))
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED
