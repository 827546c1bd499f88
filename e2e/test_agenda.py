"""The pro's agenda in a real browser: the week as a time grid on a laptop and as day lists on a
phone, today as a list, a request answered in place leaving "Requests waiting", and a booking
made elsewhere appearing live (notifications socket). axe runs on each layout."""

import json

import pytest

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people
from e2e.test_accessibility import AXE_JS, Auditor

PASSWORD = "agenda-pass-1234"

SETUP = (
    setup_people(PASSWORD)
    + """
import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Booking, Service
from payments.models import Payment

PARIS = ZoneInfo("Europe/Paris")


pro_user = user("agnes@example.com", "Agnes Agenda", role="pro")
pro, _ = ProProfile.objects.get_or_create(user=pro_user, defaults=dict(
    display_name="Agnes Agenda", slug="agnes-agenda", city="Paris", timezone="Europe/Paris"))
services.weekly_hours_set_week(pro=pro, week={d: [(time(8), time(20))] for d in range(7)})
services.booking_rules_update(pro=pro, confirmation_mode="request", min_notice_minutes=0)
colour, _ = Service.objects.get_or_create(pro=pro, name="Colour", defaults=dict(
    duration_minutes=60, price_amount=6000, currency="EUR"))
carl = user("carl@example.com", "Carl Client")
dina = user("dina@example.com", "Dina Direct")
day = timezone.now().astimezone(PARIS).date() + timedelta(days=2)

def at(hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)

def booking(who, start, status):
    return Booking.objects.create(client=who, pro=pro, service=colour, service_name="Colour",
        duration_minutes=60, price_amount=6000, currency="EUR", starts_at=start,
        ends_at=start + timedelta(minutes=60), status=status)

if not Booking.objects.filter(pro=pro).exists():
    booking(carl, at(10), "requested")
    booking(dina, at(10, 30), "confirmed")  # overlaps the request: side by side
    paid = booking(dina, at(14), "confirmed")
    Payment.objects.create(booking=paid, backend="offline", amount=6000, fee=600,
        currency="EUR", status="succeeded", paid_at=timezone.now())
print(json.dumps({"day": day.isoformat(), "service": colour.pk,
                  "free": at(16).isoformat()}))
"""
)


@pytest.fixture(scope="module")
def data(server):
    return json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])


def slot(page, name):
    return page.locator(".agenda-grid [data-card]", has_text=name)


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_the_week_is_a_time_grid_on_a_laptop_and_day_lists_on_a_phone(
    new_page,
    data,
    viewport,
    name,
):
    pro = new_page(viewport)
    log_in(pro, "agnes@example.com", PASSWORD)
    axe = Auditor(pro, AXE_JS.read_text())
    axe.visit(f"/bookings/agenda/?view=week&date={data['day']}", f"agenda week {name}")
    screenshot(pro, f"agenda-week-{name}")
    request, overlap, prepaid = (
        slot(pro, "Carl Client"),
        slot(pro, "Dina Direct").first,
        slot(pro, "Dina Direct").last,
    )
    assert "Requested" in request.inner_text()
    assert prepaid.get_by_test_id("prepaid").is_visible()
    r, o, p = (x.bounding_box() for x in (request, overlap, prepaid))
    if name == "laptop":
        assert pro.locator(".agenda-hours").is_visible()
        # Side by side in the same day column, the later one lower by half an hour's height.
        assert o["x"] >= r["x"] + r["width"] - 2 and abs(o["y"] - r["y"] - r["height"] / 2) < 4
        hour = pro.locator(".agenda-hours li", has_text="14:00").bounding_box()
        assert abs(p["y"] - hour["y"]) < 12  # at the 14:00 line (its label sits across it)
    else:
        assert not pro.locator(".agenda-hours").is_visible()
        assert r["x"] == o["x"] == p["x"] and r["y"] < o["y"] < p["y"]  # one list
    # Today is a list (the default view), on both.
    axe.visit("/bookings/agenda/", f"agenda today {name}")
    assert pro.locator(".agenda-days .agenda-day").count() == 1
    screenshot(pro, f"agenda-today-{name}")
    axe.check()


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_an_answered_request_leaves_requests_waiting_at_once(new_page, server, viewport, name):
    # Each viewport answers its own request (the laptop confirms, the phone declines).
    start = "11" if name == "laptop" else "12"
    who = f"{name.capitalize()} Requester"
    server.manage(
        "shell",
        "-c",
        SETUP
        + f"""
r = user("{name}-req@example.com", "{who}")
if not Booking.objects.filter(client=r).exists():
    booking(r, at({start}, 15), "requested")
""",
    )
    pro = new_page(viewport)
    log_in(pro, "agnes@example.com", PASSWORD)
    pro.goto("/bookings/agenda/?view=week")
    card = pro.locator(".requests [data-card]", has_text=who)
    date_shown = card.get_by_test_id("date").inner_text()
    screenshot(pro, f"agenda-requests-{name}")
    if name == "laptop":
        card.get_by_role("button", name="Confirm").click()
        done = "Booking confirmed."
    else:
        card.get_by_text("Decline…").click()
        card.get_by_label("Reason (sent to the client)").fill("Fully booked, sorry.")
        card.get_by_role("button", name="Decline", exact=True).click()
        done = "Booking declined."
    pro.locator("[data-agenda-status]").filter(has_text=done).wait_for()
    assert pro.locator(".requests [data-card]", has_text=who).count() == 0
    assert "/bookings/agenda/" in pro.url  # in place, no page load
    screenshot(pro, f"agenda-answered-{name}")
    # The requests still waiting keep their dates.
    assert pro.locator(".requests [data-card]").first.get_by_test_id("date").inner_text()
    assert date_shown


def test_a_new_booking_appears_live_on_the_open_agenda(new_page, data):
    pro = new_page(LAPTOP)
    log_in(pro, "agnes@example.com", PASSWORD)
    pro.goto(f"/bookings/agenda/?view=week&date={data['day']}")
    pro.wait_for_timeout(500)  # the notifications socket connects
    assert slot(pro, "Carl Client").count() >= 1

    client = new_page(LAPTOP)
    log_in(client, "carl@example.com", PASSWORD)
    token = next(c["value"] for c in client.context.cookies() if c["name"] == "csrftoken")
    response = client.request.post(
        "/api/v1/bookings",
        data={"service": data["service"], "starts_at": data["free"], "note": "Live!"},
        headers={"X-CSRFToken": token, "Referer": client.url},
    )
    assert response.status == 201, response.text()

    pro.locator(".toast", has_text="New booking request: Colour").wait_for()
    live = pro.locator(".agenda-grid [data-card]", has_text="16:00")
    live.wait_for(timeout=10_000)
    assert "Carl Client" in live.inner_text()
    assert pro.locator(".requests [data-card]", has_text="16:00").count() == 1
    screenshot(pro, "agenda-live-laptop")
