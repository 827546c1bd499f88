"""The waitlist: a freed time goes to the first waiting client, held 15 minutes, then the next.

Scenes are built on `working_pro` (Paris, 08:00-20:00 every day) and its 45-minute `service`:
a client waits for 10:00-10:15 three days ahead (only the 10:00 start fits) while another
client's booking holds 10:00.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClientProfile, ProProfile
from bookings import services
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, WaitlistEntry, WaitlistOffer
from bookings.selectors import free_slots
from conftest import local_at, login, make_booking, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
ENTRY, OFFER = WaitlistEntry.Status, WaitlistOffer.Status


@pytest.fixture
def settings_site(settings):
    settings.SITE_URL = "https://timz.example"
    return settings


def wait(client, service, *, days=3, start=time(10), end=time(10, 15), zone="Europe/Paris"):
    """`client` joins `service`'s waitlist for `start`-`end` on the Paris date `days` ahead."""
    return services.waitlist_join(
        client=client,
        day=local_at(days, 12).date(),
        from_time=start,
        to_time=end,
        zone=zone,
        pro=service.pro,
        service=service,
    )


@pytest.fixture
def taken(working_pro, service, other_client):
    """Another client's confirmed booking of 10:00, three days ahead."""
    return make_booking(client=other_client, service=service, starts_at=local_at(3, 10))


def cancel(booking, commit):
    with commit():
        services.booking_transition(booking=booking, action="cancel", by=booking.client)


def live_offers(**filters):
    return list(WaitlistOffer.objects.filter(status=OFFER.OFFERED, **filters))


# --- offering a freed time ---------------------------------------------------------------------


def test_a_cancelled_booking_offers_its_time_to_the_first_waiting_client_by_email(
    taken, service, client_user, commit, mailoutbox, settings_site, now
):
    entry = wait(client_user, service)
    assert live_offers() == []

    cancel(taken, commit)

    (offer,) = live_offers()
    assert offer.entry == entry
    assert offer.starts_at == local_at(3, 10)
    assert offer.expires_at == now + timedelta(minutes=15)
    entry.refresh_from_db()
    assert entry.status == ENTRY.OFFERED
    (email,) = [m for m in mailoutbox if m.to == [client_user.email]]
    link = "https://timz.example" + reverse("bookings:waitlist_offer", args=[offer.token])
    assert link in email.body
    deadline = (now + timedelta(minutes=15)).astimezone(PARIS)
    assert f"until {deadline:%H:%M} (Europe/Paris)" in email.body
    assert "A time freed up" in email.subject


def test_only_the_first_waiting_client_gets_the_freed_time(
    taken, service, client_user, commit, mailoutbox
):
    first = wait(client_user, service)
    second = wait(make_user(), service)

    cancel(taken, commit)

    assert [o.entry for o in live_offers()] == [first]
    second.refresh_from_db()
    assert second.status == ENTRY.WAITING


def test_a_window_that_does_not_hold_the_freed_time_gets_no_offer(
    taken, service, client_user, other_client, commit
):
    make_booking(client=other_client, service=service, starts_at=local_at(3, 12))
    entry = wait(client_user, service, start=time(12), end=time(12, 15))  # still busy

    cancel(taken, commit)

    assert live_offers() == []
    entry.refresh_from_db()
    assert entry.status == ENTRY.WAITING


@pytest.mark.parametrize(
    "free_it",
    [
        pytest.param(
            lambda b: services.booking_transition(
                booking=b, action="decline", by=b.pro.user, reason="Sorry"
            ),
            id="declined request",
        ),
        pytest.param(
            lambda b: services.booking_transition(booking=b, action="expire", by=None),
            id="expired request",
        ),
        pytest.param(
            lambda b: services.booking_transition(
                booking=b, action="reschedule", by=b.client, starts_at=local_at(3, 15)
            ),
            id="rescheduled away",
        ),
    ],
)
def test_a_request_declined_expired_or_moved_away_frees_its_time(
    working_pro, service, other_client, client_user, commit, free_it
):
    request = make_booking(
        client=other_client,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.REQUESTED,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    wait(client_user, service)

    with commit():
        free_it(request)

    assert [o.starts_at for o in live_offers()] == [local_at(3, 10)]


def test_new_hours_offer_the_time_that_appears(working_pro, service, client_user, commit):
    wait(client_user, service, start=time(21), end=time(22))  # after hours
    assert live_offers() == []
    weekday = local_at(3, 12).weekday()

    with commit():
        services.weekly_hours_set(pro=working_pro, weekday=weekday, intervals=[(time(8), time(23))])

    assert [o.starts_at for o in live_offers()] == [local_at(3, 21)]


def test_removed_time_off_and_removed_closed_day_offer_their_time(
    working_pro, service, client_user, commit
):
    off = services.time_off_create(
        pro=working_pro, starts_at=local_at(3, 8), ends_at=local_at(3, 20)
    )
    wait(client_user, service)
    assert live_offers() == []
    closed = services.date_override_set(pro=working_pro, day=local_at(4, 0).date(), intervals=[])
    wait(make_user(), service, days=4)

    with commit():
        services.time_off_delete(pro=working_pro, pk=off.pk)
        services.date_override_delete(pro=working_pro, pk=closed.pk)

    assert sorted(o.starts_at for o in live_offers()) == [local_at(3, 10), local_at(4, 10)]


def test_a_pro_hidden_meanwhile_offers_nothing(taken, service, working_pro, client_user, commit):
    wait(client_user, service)
    ProProfile.objects.filter(pk=working_pro.pk).update(is_listed=False)

    cancel(taken, commit)

    assert live_offers() == []


def test_joining_a_window_with_a_free_time_offers_it_at_once(
    working_pro, service, client_user, commit
):
    with commit():
        entry = wait(client_user, service)

    assert [o.entry for o in live_offers()] == [entry]


# --- the hold ----------------------------------------------------------------------------------


def test_an_offered_time_is_busy_for_everyone_else_for_15_minutes_then_free(
    taken, service, client_user, commit, travel, now
):
    wait(client_user, service)
    cancel(taken, commit)
    someone = make_user()

    assert local_at(3, 10) not in free_slots(
        pro=service.pro, service=service, start=local_at(3, 0).date(), days=1
    )
    with pytest.raises(SlotUnavailable):
        services.booking_create(client=someone, service=service, starts_at=local_at(3, 10))

    travel(now + timedelta(minutes=15, seconds=1))  # maybe past midnight: taken's time it is
    booking = services.booking_create(client=someone, service=service, starts_at=taken.starts_at)
    assert booking.status == Booking.Status.CONFIRMED


def test_the_free_time_search_shows_a_held_time_only_once_the_hold_is_over(
    taken, service, client_user, commit, travel, now
):
    from bookings import search
    from bookings.selectors import availability_search

    wait(client_user, service)
    window = search.Window(
        zone=PARIS, days=(local_at(3, 12).date(),), start=time(10), end=time(10, 15)
    )
    cancel(taken, commit)
    assert live_offers()

    assert availability_search(window=window) == []  # held for the waiting client
    travel(now + timedelta(minutes=16))  # maybe past midnight: local_at's days move on
    (found,) = availability_search(window=window)
    assert found.slots == [taken.starts_at]


def test_the_offered_client_books_the_held_time_and_the_entry_is_booked(
    taken, service, client_user, commit
):
    entry = wait(client_user, service)
    cancel(taken, commit)
    mine = free_slots(
        pro=service.pro, service=service, start=local_at(3, 0).date(), days=1, holder=client_user
    )
    assert local_at(3, 10) in mine

    booking = services.booking_create(
        client=client_user, service=service, starts_at=local_at(3, 10)
    )

    assert booking.status == Booking.Status.CONFIRMED
    entry.refresh_from_db()
    assert entry.status == ENTRY.BOOKED
    assert entry.offers.get().status == OFFER.BOOKED


def test_booking_the_time_of_a_lapsed_offer_still_books_its_entry(
    taken, service, client_user, commit, travel, now
):
    """The hold ran out but process_due has not expired the offer yet: it is booked all the
    same (booking_create finds it with the slot, bookings.selectors.slot_check)."""
    entry = wait(client_user, service)
    cancel(taken, commit)
    travel(now + timedelta(minutes=16))  # maybe past midnight: local_at's days move on

    services.booking_create(client=client_user, service=service, starts_at=taken.starts_at)

    entry.refresh_from_db()
    assert entry.status == ENTRY.BOOKED
    assert entry.offers.get().status == OFFER.BOOKED


def test_after_the_hold_expires_process_due_offers_the_time_to_the_next_client(
    taken, service, client_user, commit, travel, now
):
    first = wait(client_user, service)
    second = wait(make_user(), service)
    cancel(taken, commit)

    travel(now + timedelta(minutes=16))
    with commit():
        call_command("process_due", stdout=StringIO())

    (offer,) = live_offers()
    assert offer.entry == second
    assert offer.starts_at == taken.starts_at  # the day of local_at(3, 10) before the travel
    first.refresh_from_db()
    assert first.status == ENTRY.WAITING  # still waiting, but never offered that time again
    assert first.offers.get().status == OFFER.EXPIRED


def test_declining_passes_the_time_to_the_next_client_at_once(taken, service, client_user, commit):
    wait(client_user, service)
    second = wait(make_user(), service)
    cancel(taken, commit)
    (offer,) = live_offers()

    with commit():
        login(client_user).post(reverse("bookings:waitlist_offer_decline", args=[offer.token]))

    offer.refresh_from_db()
    assert offer.status == OFFER.DECLINED
    assert [o.entry for o in live_offers()] == [second]


def test_leaving_the_waitlist_while_offered_passes_the_time_on(taken, service, client_user, commit):
    entry = wait(client_user, service)
    second = wait(make_user(), service)
    cancel(taken, commit)

    with commit():
        response = login(client_user).post(reverse("bookings:waitlist_leave", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.status == ENTRY.CANCELLED
    assert [o.entry for o in live_offers()] == [second]


# --- windows in the client's zone --------------------------------------------------------------


def test_the_window_is_read_in_the_clients_zone_across_the_dst_change(
    working_pro, service, other_client, commit, travel
):
    # The EU moves its clocks on Sunday 28 March 2027, the US two weeks earlier: on the 27th
    # Paris is 5 hours ahead of New York, on the 28th 6 hours.
    travel(datetime(2027, 3, 20, 12, tzinfo=PARIS))
    client = make_user(timezone="America/New_York")
    nine, ten = (datetime(2027, 3, 28, h, tzinfo=PARIS) for h in (9, 10))
    for start in (nine, ten):
        make_booking(client=other_client, service=service, starts_at=start)
    services.waitlist_join(
        client=client,
        day=datetime(2027, 3, 28).date(),
        from_time=time(4),
        to_time=time(4, 15),
        zone="America/New_York",
        pro=working_pro,
        service=service,
    )

    for booking in Booking.objects.filter(pro=working_pro):
        cancel(booking, commit)

    (offer,) = live_offers()
    assert offer.starts_at == ten  # 04:00 in New York is 10:00 in Paris that day, not 09:00
    assert offer.starts_at.astimezone(NEW_YORK).time() == time(4)


# --- search-wide entries ----------------------------------------------------------------------


def test_a_search_wide_entry_gets_a_freed_time_of_a_pro_of_its_category(
    taken, service, working_pro, category, client_user, commit
):
    elsewhere = services.waitlist_join(
        client=make_user(),
        day=local_at(3, 12).date(),
        from_time=time(10),
        to_time=time(10, 15),
        zone="Europe/Paris",
        q="yoga",
    )
    entry = services.waitlist_join(
        client=client_user,
        day=local_at(3, 12).date(),
        from_time=time(10),
        to_time=time(10, 15),
        zone="Europe/Paris",
        category=category,
    )

    cancel(taken, commit)

    (offer,) = live_offers()
    assert offer.entry == entry
    assert offer.service == service
    elsewhere.refresh_from_db()
    assert elsewhere.status == ENTRY.WAITING


def test_a_search_wide_entry_with_a_distance_gets_only_a_pro_near_enough(
    taken, service, working_pro, category, client_user, commit
):
    ProProfile.objects.filter(pk=working_pro.pk).update(
        latitude=Decimal("48.8566"),
        longitude=Decimal("2.3522"),  # Paris
    )
    window = {
        "day": local_at(3, 12).date(),
        "from_time": time(10),
        "to_time": time(10, 15),
        "zone": "Europe/Paris",
        "category": category,
        "km": 20,
    }
    in_lyon = services.waitlist_join(
        client=make_user(), latitude=45.764, longitude=4.8357, **window
    )
    in_versailles = services.waitlist_join(
        client=client_user, latitude=48.8049, longitude=2.1204, **window
    )

    cancel(taken, commit)

    assert [o.entry for o in live_offers()] == [in_versailles]
    in_lyon.refresh_from_db()
    assert in_lyon.status == ENTRY.WAITING


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": time(11), "end": time(10)}, "end after it starts"),
        ({"days": -1}, "in the past"),
        ({"days": 400}, "within a year"),
        ({"zone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_a_bad_window_is_refused_with_a_reason(working_pro, service, client_user, change, message):
    with pytest.raises(ValidationError) as refused:
        wait(client_user, service, **change)
    assert message in " ".join(refused.value.messages)
    assert not WaitlistEntry.objects.exists()


def test_a_pro_cannot_wait_for_their_own_service(working_pro, service):
    with pytest.raises(ValidationError):
        wait(working_pro.user, service)


# --- pages -------------------------------------------------------------------------------------


def test_the_booking_page_links_to_the_waitlist_join_form(working_pro, service, client_user):
    http = login(client_user)
    page = http.get(reverse("bookings:book", args=[working_pro.slug, service.pk]))
    assert b'data-testid="waitlist-cta"' in page.content

    form = http.get(
        reverse("bookings:waitlist_join"), {"pro": working_pro.slug, "service": service.pk}
    )
    assert form.status_code == HTTPStatus.OK
    assert b"Join the waitlist" in form.content


def join_page(client, service, *, start="10:00", end="12:00", tz=PARIS):
    """`client` posts the join form of `service`'s waitlist, three days ahead in `tz`."""
    return login(client).post(
        reverse("bookings:waitlist_join"),
        {
            "pro": service.pro.slug,
            "service": service.pk,
            "date": local_at(3, 12, tz=tz).date().isoformat(),
            "from_time": start,
            "to_time": end,
        },
    )


def test_joining_from_the_page_puts_the_client_on_the_waitlist(working_pro, service, client_user):
    response = join_page(client_user, service)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("bookings:waitlist")
    entry = WaitlistEntry.objects.get()
    assert (entry.client, entry.service, entry.timezone) == (client_user, service, "Europe/Paris")


def test_a_bad_window_on_the_page_is_a_400_with_the_reason(working_pro, service, client_user):
    response = join_page(client_user, service, start="12:00", end="10:00")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "must end after it starts" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_the_search_empty_state_offers_the_search_wide_waitlist_for_its_window(db, client_user):
    page = login(client_user).get(
        reverse("bookings:search"),
        {"q": "underwater basket weaving", "when": "tomorrow", "period": "morning"},
    )
    assert b'data-testid="waitlist-form"' in page.content
    html = page.content.decode()
    assert 'name="q" value="underwater basket weaving"' in html
    assert f'name="date" value="{local_at(1, 12).date().isoformat()}"' in html
    assert 'name="from_time" value="06:00"' in html
    assert 'name="to_time" value="12:00"' in html


def test_the_offer_page_shows_the_held_time_only_to_its_client(
    taken, service, client_user, other_client, commit
):
    wait(client_user, service)
    cancel(taken, commit)
    (offer,) = live_offers()
    url = reverse("bookings:waitlist_offer", args=[offer.token])

    page = login(client_user).get(url)
    assert page.status_code == HTTPStatus.OK
    assert b'data-testid="offer-countdown"' in page.content
    assert login(other_client).get(url).status_code == HTTPStatus.NOT_FOUND
    assert login(other_client).post(url + "decline/").status_code == HTTPStatus.NOT_FOUND
    offer.refresh_from_db()
    assert offer.status == OFFER.OFFERED


def test_my_waitlist_page_runs_a_bounded_number_of_queries(
    working_pro, service, client_user, django_assert_max_num_queries
):
    for days in range(2, 12):
        wait(client_user, service, days=days, start=time(21), end=time(22))
    http = login(client_user)
    # Session, user, badge, entries and their offers, and the tabs' booking counts (one query).
    with django_assert_max_num_queries(8):
        page = http.get(reverse("bookings:waitlist"))
    assert page.content.count(b'data-testid="waitlist-entry"') == 10


def test_another_clients_entry_cannot_be_left(working_pro, service, client_user, other_client):
    entry = wait(client_user, service, start=time(21), end=time(22))
    response = login(other_client).post(reverse("bookings:waitlist_leave", args=[entry.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    entry.refresh_from_db()
    assert entry.status == ENTRY.WAITING


def test_entries_whose_day_is_over_expire(working_pro, service, client_user, travel, now, commit):
    entry = wait(client_user, service, days=1, start=time(21), end=time(22))
    travel(now + timedelta(days=3))
    with commit():
        call_command("process_due", stdout=StringIO())
    entry.refresh_from_db()
    assert entry.status == ENTRY.EXPIRED


def test_profile_zone_is_the_default_zone_of_a_window(working_pro, service, client_user):
    ClientProfile.objects.filter(user=client_user).update(timezone="Asia/Tokyo")
    join_page(client_user, service, tz=ZoneInfo("Asia/Tokyo"))
    assert WaitlistEntry.objects.get().timezone == "Asia/Tokyo"


def test_a_hidden_pros_service_cannot_be_waited_for(client_user):
    hidden = make_pro(is_listed=False)
    offered = make_service(pro=hidden)
    response = login(client_user).get(
        reverse("bookings:waitlist_join"), {"pro": hidden.slug, "service": offered.pk}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


# --- the client's data -------------------------------------------------------------------------


def test_a_deleted_account_leaves_every_waitlist_and_its_held_time_goes_on(
    taken, service, client_user, commit
):
    from accounts.services import account_delete
    from conftest import PASSWORD

    entry = wait(client_user, service)
    second = wait(make_user(), service)
    cancel(taken, commit)

    with commit():
        account_delete(user=client_user, password=PASSWORD)

    entry.refresh_from_db()
    assert entry.status == ENTRY.CANCELLED
    assert [o.entry for o in live_offers()] == [second]


def test_the_export_lists_the_clients_waitlist(working_pro, service, client_user):
    from accounts.data_export import account_export

    wait(client_user, service, start=time(21), end=time(22))

    (row,) = account_export(user=client_user)["waitlist"]
    assert (row["service"], row["from"], row["to"], row["status"]) == (
        "Haircut",
        "21:00",
        "22:00",
        "waiting",
    )


def test_staff_read_entries_and_their_offers_in_the_admin(
    taken, service, client_user, staff_user, commit
):
    entry = wait(client_user, service)
    cancel(taken, commit)
    http = login(staff_user)

    listing = http.get(reverse("admin:bookings_waitlistentry_changelist"))
    assert listing.status_code == HTTPStatus.OK
    page = http.get(reverse("admin:bookings_waitlistentry_change", args=[entry.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "Held for you" in page.content.decode()
