"""The pro's dashboard pages: services, schedule (hours, special days, time off), rules, feed."""

import io
from datetime import time, timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bookings import services
from bookings.models import DateOverride, Service, TimeOff, WeeklyHours
from bookings.tests.conftest_pages import *  # noqa: F403
from conftest import PARIS, local_at, make_booking, make_service
from payments.services import connected_account_enable_simulated

pytestmark = pytest.mark.django_db

PRO_PAGES = ["services", "service_create", "schedule", "rules", "agenda"]


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def service_data(**overrides):
    data = {
        "name": "Colour",
        "description": "Full colour",
        "duration_minutes": "90",
        "price": "65.50",
        "payment_mode": "at_appointment",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("name", PRO_PAGES)
def test_pro_pages_render_for_the_pro(as_pro, pro, name):
    response = as_pro.get(reverse(f"bookings:{name}"))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("name", PRO_PAGES)
def test_pro_pages_send_visitors_to_login(client, name):
    response = client.get(reverse(f"bookings:{name}"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", PRO_PAGES)
def test_pro_pages_are_forbidden_to_clients(as_client, name):
    assert as_client.get(reverse(f"bookings:{name}")).status_code == HTTPStatus.FORBIDDEN


# Services ----------------------------------------------------------------------------------


def test_services_list_shows_every_service_with_its_price(as_pro, pro):
    make_service(pro=pro, name="Cut", price_amount=3500)
    make_service(pro=pro, name="Old one", is_active=False)
    html = as_pro.get(reverse("bookings:services")).content.decode()
    assert "Cut" in html and "€35.00" in html
    assert "Old one" in html and "Hidden" in html


def test_pro_adds_a_service_with_the_price_in_major_units(as_pro, pro):
    response = as_pro.post(reverse("bookings:service_create"), service_data())
    assert response.status_code == HTTPStatus.FOUND
    service = Service.objects.get(pro=pro, name="Colour")
    assert service.price_amount == 6550
    assert service.currency == "EUR"
    assert service.duration_minutes == 90


def test_the_service_form_has_labels_without_colons_and_a_picture_button(as_pro, pro):
    html = as_pro.get(reverse("bookings:service_create")).content.decode()

    assert '<label for="id_name">Name</label>' in html
    assert ":</label>" not in html
    button = 'class="btn btn-secondary file-field-button" for="id_image">Choose a picture</label>'
    assert button in html


def test_the_edit_form_shows_the_picture_and_can_remove_it(as_pro, pro):
    upload = SimpleUploadedFile("cut.png", png_bytes(), content_type="image/png")
    as_pro.post(reverse("bookings:service_create"), {**service_data(), "image": upload})
    service = Service.objects.get(pro=pro)
    edit = reverse("bookings:service_edit", args=[service.pk])

    html = as_pro.get(edit).content.decode()
    assert f'src="{service.image.url}" alt="Current picture of Colour"' in html
    response = as_pro.post(edit, {**service_data(), "image-clear": "on"})

    assert response.status_code == HTTPStatus.FOUND
    service.refresh_from_db()
    assert not service.image


def test_pro_adds_a_service_with_a_picture(as_pro, pro):
    upload = SimpleUploadedFile("cut.png", png_bytes(), content_type="image/png")
    response = as_pro.post(reverse("bookings:service_create"), {**service_data(), "image": upload})
    assert response.status_code == HTTPStatus.FOUND
    service = Service.objects.get(pro=pro)
    assert service.image.name.startswith("services/")
    assert "cut" not in service.image.name  # a generated name


def test_a_file_that_is_not_a_picture_gets_a_form_error(as_pro, pro):
    upload = SimpleUploadedFile("cut.png", b"not an image at all", content_type="image/png")
    response = as_pro.post(reverse("bookings:service_create"), {**service_data(), "image": upload})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["image"]
    assert not Service.objects.filter(pro=pro).exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("duration_minutes", "4", "greater than or equal to 5"),
        ("duration_minutes", "481", "less than or equal to 480"),
        ("price", "-1", "greater than or equal to 0"),
        ("price", "10.555", "at most 2 decimals"),
        ("name", "", "This field is required"),
    ],
)
def test_service_form_validation_messages(as_pro, pro, field, value, message):
    response = as_pro.post(reverse("bookings:service_create"), service_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in " ".join(response.context["form"].errors[field])


def test_choosing_online_payment_without_an_enabled_account_is_a_form_error(as_pro, pro, settings):
    settings.STRIPE_SECRET_KEY = ""  # the offline backend

    response = as_pro.post(reverse("bookings:service_create"), service_data(payment_mode="online"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    payouts = reverse("payments:get_paid")
    assert response.context["form"].errors["payment_mode"] == [
        "Set up payouts on the Payouts page before offering online payment. "
        f'<a href="{payouts}">Open Payouts</a>'
    ]
    assert f'<a href="{payouts}">Open Payouts</a>' in response.content.decode()
    assert not Service.objects.filter(pro=pro).exists()


def test_switching_a_service_to_online_payment_without_an_account_changes_nothing(
    as_pro, pro, settings
):
    settings.STRIPE_SECRET_KEY = ""
    service = make_service(pro=pro, name="Cut")

    response = as_pro.post(
        reverse("bookings:service_edit", args=[service.pk]),
        service_data(name="Cut", payment_mode="online"),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["payment_mode"]
    service.refresh_from_db()
    assert service.payment_mode == Service.PaymentMode.AT_APPOINTMENT


def test_choosing_online_payment_with_an_enabled_account_saves(as_pro, pro, settings):
    settings.STRIPE_SECRET_KEY = ""
    connected_account_enable_simulated(pro=pro)

    response = as_pro.post(reverse("bookings:service_create"), service_data(payment_mode="online"))

    assert response.status_code == HTTPStatus.FOUND
    assert Service.objects.get(pro=pro).payment_mode == Service.PaymentMode.ONLINE


def test_pro_edits_a_service(as_pro, pro):
    service = make_service(pro=pro, name="Cut", price_amount=3500)
    page = as_pro.get(reverse("bookings:service_edit", args=[service.pk]))
    assert page.context["form"].initial["price"] == 35
    response = as_pro.post(
        reverse("bookings:service_edit", args=[service.pk]),
        service_data(name="Cut & wash", price="40", is_active=""),
    )
    assert response.status_code == HTTPStatus.FOUND
    service.refresh_from_db()
    assert (service.name, service.price_amount, service.is_active) == ("Cut & wash", 4000, False)


def test_deleting_a_service_without_bookings_removes_it(as_pro, pro):
    service = make_service(pro=pro)
    as_pro.post(reverse("bookings:service_delete", args=[service.pk]))
    assert not Service.objects.filter(pk=service.pk).exists()


def test_deleting_a_booked_service_hides_it_instead(as_pro, pro, client_user):
    service = make_service(pro=pro)
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    response = as_pro.post(reverse("bookings:service_delete", args=[service.pk]), follow=True)
    service.refresh_from_db()
    assert service.is_active is False
    assert "hidden instead of deleted" in response.content.decode()


def test_services_move_up_and_down(as_pro, pro):
    a, b, c = (make_service(pro=pro, name=n, position=i) for i, n in enumerate("ABC"))
    as_pro.post(reverse("bookings:service_move", args=[c.pk, "up"]))
    order = list(
        Service.objects.filter(pro=pro).order_by("position").values_list("name", flat=True)
    )
    assert order == ["A", "C", "B"]
    as_pro.post(reverse("bookings:service_move", args=[a.pk, "down"]))
    order = list(
        Service.objects.filter(pro=pro).order_by("position").values_list("name", flat=True)
    )
    assert order == ["C", "A", "B"]
    assert as_pro.post(reverse("bookings:service_move", args=[a.pk, "sideways"])).status_code == 404


def test_service_pages_refuse_get_for_writes(as_pro, pro):
    service = make_service(pro=pro)
    response = as_pro.get(reverse("bookings:service_delete", args=[service.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# Schedule ----------------------------------------------------------------------------------


def day_post(weekday, rows, **week):
    """The week form's POST with `rows` on `weekday` and, in `week` (day_<n>=rows), other days."""
    data = {}
    days = {weekday: rows, **{int(k.split("_")[1]): v for k, v in week.items()}}
    for day, day_rows in days.items():
        for i, (start, end) in enumerate(day_rows):
            data[f"day-{day}-start_{i}"] = start
            data[f"day-{day}-end_{i}"] = end
    return data


def test_pro_sets_several_intervals_on_a_weekday(as_pro, pro):
    response = as_pro.post(
        reverse("bookings:schedule"),
        day_post(1, [("09:00", "12:00"), ("13:00", "18:00"), ("", "")]),
    )
    assert response.status_code == HTTPStatus.FOUND
    hours = list(WeeklyHours.objects.filter(pro=pro, weekday=1).values_list("start", "end"))
    assert hours == [(time(9), time(12)), (time(13), time(18))]
    page = as_pro.get(reverse("bookings:schedule")).content.decode()
    assert "09:00–12:00, 13:00–18:00" in page


def test_pro_saves_the_whole_week_in_one_post(as_pro, pro):
    services.weekly_hours_set(pro=pro, weekday=6, intervals=[(time(10), time(14))])
    response = as_pro.post(
        reverse("bookings:schedule"),
        day_post(0, [("09:00", "17:00")], day_2=[("10:00", "12:00"), ("14:00", "19:30")]),
    )
    assert response.status_code == HTTPStatus.FOUND
    week = list(WeeklyHours.objects.filter(pro=pro).values_list("weekday", "start", "end"))
    assert sorted(week) == [
        (0, time(9), time(17)),
        (2, time(10), time(12)),
        (2, time(14), time(19, 30)),
    ]  # Sunday's rows were not posted: a day off now


def test_one_bad_day_saves_nothing_and_marks_the_day(as_pro, pro):
    services.weekly_hours_set(pro=pro, weekday=0, intervals=[(time(8), time(12))])
    response = as_pro.post(
        reverse("bookings:schedule"),
        day_post(0, [("09:00", "17:00")], day_4=[("09:00", "13:00"), ("12:00", "18:00")]),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Nothing was saved" in html and "09:00–13:00 and 12:00–18:00 overlap." in html
    assert 'value="09:00"' in html  # what the pro typed is kept for correcting
    hours = list(WeeklyHours.objects.filter(pro=pro).values_list("weekday", "start", "end"))
    assert hours == [(0, time(8), time(12))]


def test_copy_monday_fills_the_weekdays_for_review_without_saving(as_pro, pro):
    response = as_pro.post(
        reverse("bookings:schedule"),
        {
            **day_post(0, [("09:00", "12:30"), ("13:30", "18:00")], day_5=[("10:00", "14:00")]),
            "copy": "0",
        },
    )
    assert response.status_code == HTTPStatus.OK
    form = response.context["week"]
    for weekday in range(5):
        assert form.days[weekday]["start_1"].value() == "13:30"
        assert form.days[weekday]["end_0"].value() == "12:30"
    assert form.days[5]["start_0"].value() == "10:00"  # Saturday keeps its own rows
    assert form.days[6]["start_0"].value() in (None, "")
    assert "copied to Tuesday–Friday" in response.content.decode()
    assert not WeeklyHours.objects.filter(pro=pro).exists()


def test_time_boxes_are_24_hour_text_inputs(as_pro, pro):
    services.weekly_hours_set(pro=pro, weekday=0, intervals=[(time(17, 5), time(21))])
    html = as_pro.get(reverse("bookings:schedule")).content.decode()
    assert 'type="time"' not in html and 'type="datetime-local"' not in html
    assert 'name="day-0-start_0" value="17:05"' in html and 'placeholder="HH:MM"' in html


def test_clearing_every_row_makes_a_day_off(as_pro, pro):
    services.weekly_hours_set(pro=pro, weekday=2, intervals=[(time(9), time(17))])
    as_pro.post(reverse("bookings:schedule"), day_post(2, [("", "")]))
    assert not WeeklyHours.objects.filter(pro=pro, weekday=2).exists()


def test_more_rows_than_shown_are_accepted(as_pro, pro):
    rows = [(f"{h:02d}:00", f"{h:02d}:30") for h in range(8, 14)]
    as_pro.post(reverse("bookings:schedule"), day_post(0, rows))
    assert WeeklyHours.objects.filter(pro=pro, weekday=0).count() == 6


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("09:00", "09:00")], "09:00–09:00 has no length: give two different times."),
        ([("20:00", "02:00"), ("23:00", "23:30")], "20:00–02:00 and 23:00–23:30 overlap."),
        ([("09:00", "13:00"), ("12:00", "18:00")], "09:00–13:00 and 12:00–18:00 overlap."),
        ([("09:00", "")], "Give both times."),
        ([("9 o'clock", "12:00")], "Enter a time as HH:MM on the 24-hour clock"),
        ([("09:00 PM", "12:00")], "Enter a time as HH:MM on the 24-hour clock"),
        ([("24:00", "12:00")], "Enter a time as HH:MM on the 24-hour clock"),
    ],
)
def test_weekly_hours_validation_messages(as_pro, pro, rows, message):
    response = as_pro.post(reverse("bookings:schedule"), day_post(3, rows))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not WeeklyHours.objects.filter(pro=pro, weekday=3).exists()


def test_hours_that_cross_midnight_are_saved_and_shown_as_running_into_the_next_day(as_pro, pro):
    response = as_pro.post(reverse("bookings:schedule"), day_post(4, [("22:00", "02:00")]))

    assert response.status_code == HTTPStatus.FOUND
    (hours,) = WeeklyHours.objects.filter(pro=pro, weekday=4)
    assert (hours.start, hours.end) == (time(22), time(2))
    html = as_pro.get(reverse("bookings:schedule")).content.decode()
    assert "22:00–02:00 (next day)" in html


def test_pro_closes_a_date_and_removes_it(as_pro, pro):
    day = local_at(5, 9).date()
    response = as_pro.post(
        reverse("bookings:override_create"),
        {"override-day": day.isoformat(), "override-closed": "on", "override-note": "Holiday"},
    )
    assert response.status_code == HTTPStatus.FOUND
    override = DateOverride.objects.get(pro=pro, date=day)
    assert override.is_closed and override.note == "Holiday"
    html = as_pro.get(reverse("bookings:schedule")).content.decode()
    assert "Closed" in html and "Holiday" in html
    as_pro.post(reverse("bookings:override_delete", args=[override.pk]))
    assert not DateOverride.objects.filter(pk=override.pk).exists()


def test_pro_sets_special_hours_on_a_date(as_pro, pro):
    day = local_at(6, 9).date()
    as_pro.post(
        reverse("bookings:override_create"),
        {
            "override-day": day.isoformat(),
            "override-start_0": "10:00",
            "override-end_0": "14:00",
        },
    )
    override = DateOverride.objects.get(pro=pro, date=day)
    assert not override.is_closed
    assert [(i.start, i.end) for i in override.intervals.all()] == [(time(10), time(14))]


def test_special_day_needs_hours_or_closed(as_pro, pro):
    response = as_pro.post(
        reverse("bookings:override_create"), {"override-day": local_at(6, 9).date().isoformat()}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "tick “Closed all day”" in response.content.decode()


def test_special_day_in_the_past_is_refused(as_pro, pro):
    past = (timezone.now() - timedelta(days=2)).date().isoformat()
    response = as_pro.post(
        reverse("bookings:override_create"), {"override-day": past, "override-closed": "on"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Pick today or a later date." in response.content.decode()


def split_post(name, moment):
    """A date box and a 24-hour time box, as the time-off form posts them."""
    return {f"{name}_0": moment.strftime("%Y-%m-%d"), f"{name}_1": moment.strftime("%H:%M")}


def test_time_off_is_entered_in_the_pros_zone_and_stored_in_utc(as_pro, pro):
    start = local_at(3, 14)
    response = as_pro.post(
        reverse("bookings:time_off_create"),
        {
            **split_post("off-starts_at", start.astimezone(PARIS)),
            **split_post("off-ends_at", (start + timedelta(hours=2)).astimezone(PARIS)),
            "off-reason": "Dentist",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    off = TimeOff.objects.get(pro=pro)
    assert off.starts_at == start
    assert off.starts_at.utcoffset() == timedelta(0)
    html = as_pro.get(reverse("bookings:schedule")).content.decode()
    assert "Dentist" in html and start.astimezone(PARIS).strftime("%H:%M") in html
    as_pro.post(reverse("bookings:time_off_delete", args=[off.pk]))
    assert not TimeOff.objects.filter(pk=off.pk).exists()


def test_time_off_must_end_after_it_starts(as_pro, pro):
    start = local_at(3, 14)
    response = as_pro.post(
        reverse("bookings:time_off_create"),
        {
            **split_post("off-starts_at", start.astimezone(PARIS)),
            **split_post("off-ends_at", (start - timedelta(hours=1)).astimezone(PARIS)),
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The end must be after the start." in response.content.decode()
    assert not TimeOff.objects.exists()


# Rules and calendar feed -----------------------------------------------------------------------


def rules_data(**overrides):
    data = {
        "confirmation_mode": "request",
        "slot_step_minutes": "30",
        "min_notice_minutes": "60",
        "horizon_days": "30",
        "buffer_minutes": "10",
        "request_expiry_hours": "12",
        "cancellation_window_hours": "48",
        "late_cancellation_fee_percent": "50",
        "reminder_hours": "24",
    }
    data.update(overrides)
    return data


def test_rules_page_shows_help_texts(as_pro):
    html = as_pro.get(reverse("bookings:rules")).content.decode()
    assert "How far ahead clients can book" in html
    assert "Free time kept after each appointment" in html


def test_pro_saves_booking_rules(as_pro, pro):
    response = as_pro.post(reverse("bookings:rules"), rules_data())
    assert response.status_code == HTTPStatus.FOUND
    pro.booking_rules.refresh_from_db()
    rules = pro.booking_rules
    assert rules.confirmation_mode == "request"
    assert (rules.slot_step_minutes, rules.buffer_minutes, rules.horizon_days) == (30, 10, 30)


@pytest.mark.parametrize(
    "field, value", [("slot_step_minutes", "2"), ("horizon_days", "0"), ("buffer_minutes", "-5")]
)
def test_rules_validation(as_pro, pro, field, value):
    response = as_pro.post(reverse("bookings:rules"), rules_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors[field]


def test_calendar_feed_serves_the_pros_bookings_and_regenerating_kills_the_old_url(
    as_pro, pro, client_user
):
    service = make_service(pro=pro, name="Cut")
    make_booking(client=client_user, service=service, starts_at=local_at(2, 10))
    as_pro.post(reverse("bookings:calendar_token"))
    pro.booking_rules.refresh_from_db()
    old_token = pro.booking_rules.calendar_token
    old_url = reverse("bookings:calendar_feed", kwargs={"token": old_token})
    assert old_url in as_pro.get(reverse("bookings:rules")).content.decode()

    anonymous = as_pro.__class__()
    feed = anonymous.get(old_url)
    assert feed.status_code == HTTPStatus.OK
    assert feed["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in feed.content and b"Cut" in feed.content

    as_pro.post(reverse("bookings:calendar_token"))
    pro.booking_rules.refresh_from_db()
    assert pro.booking_rules.calendar_token != old_token
    assert anonymous.get(old_url).status_code == HTTPStatus.NOT_FOUND
