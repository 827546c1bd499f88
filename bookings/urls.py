from django.urls import path

from bookings.views import (
    agenda,
    availability,
    calendars,
    catalog,
    clients,
    detail,
    flow,
    my_bookings,
    reviews,
    search,
    series,
    waitlist,
)

app_name = "bookings"

urlpatterns = [
    # Find a free time across pros (linked from the home page).
    path("find/", search.find, name="search"),
    # Booking flow (linked from the pro page).
    path("new/<slug:slug>/<int:service_id>/", flow.book, name="book"),
    path("new/<slug:slug>/<int:service_id>/confirm/", flow.confirm, name="confirm"),
    path("<int:pk>/done/", flow.done, name="done"),
    # Standing appointments (a client from the confirm step, a pro from a client's page).
    path("new/<slug:slug>/<int:service_id>/repeat/", series.series_new, name="series_new"),
    path("<int:pk>/cancel-following/", series.series_cancel, name="series_cancel"),
    path("<int:pk>/accept-series/", series.series_accept, name="series_accept"),
    # Client and both sides.
    path("mine/", my_bookings.my_bookings, name="my_bookings"),
    path("<int:pk>/", detail.detail, name="detail"),
    path("<int:pk>/booking.ics", detail.booking_ics, name="ics"),
    path("<int:pk>/cancel/", detail.cancel, name="cancel"),
    path("<int:pk>/reschedule/", detail.reschedule, name="reschedule"),
    path("<int:pk>/action/<slug:action>/", detail.act, name="act"),
    path("<int:pk>/review/", reviews.review, name="review"),
    path("<int:pk>/review/reply/", reviews.review_reply, name="review_reply"),
    # Waitlist (clients).
    path("waitlist/", waitlist.my_waitlist, name="waitlist"),
    path("waitlist/join/", waitlist.join, name="waitlist_join"),
    path("waitlist/<int:pk>/leave/", waitlist.leave, name="waitlist_leave"),
    path("waitlist/offer/<str:token>/", waitlist.offer, name="waitlist_offer"),
    path("waitlist/offer/<str:token>/decline/", waitlist.decline, name="waitlist_offer_decline"),
    # Pro dashboard.
    path("agenda/", agenda.agenda, name="agenda"),
    path("calendar/<str:token>.ics", agenda.calendar_feed, name="calendar_feed"),
    path("rules/calendar-token/", agenda.calendar_token_regenerate, name="calendar_token"),
    path("services/", catalog.service_list, name="services"),
    path("services/new/", catalog.service_create, name="service_create"),
    path("services/<int:pk>/edit/", catalog.service_edit, name="service_edit"),
    path("services/<int:pk>/delete/", catalog.service_delete, name="service_delete"),
    path("services/<int:pk>/move/<str:direction>/", catalog.service_move, name="service_move"),
    path("schedule/", availability.schedule, name="schedule"),
    path("schedule/overrides/", availability.override_create, name="override_create"),
    path(
        "schedule/overrides/<int:pk>/delete/",
        availability.override_delete,
        name="override_delete",
    ),
    path("schedule/time-off/", availability.time_off_create, name="time_off_create"),
    path(
        "schedule/time-off/<int:pk>/delete/",
        availability.time_off_delete,
        name="time_off_delete",
    ),
    path("rules/", availability.rules, name="rules"),
    path("calendars/", calendars.calendars, name="calendars"),
    path("calendars/<int:pk>/sync/", calendars.calendar_sync, name="calendar_sync"),
    path("calendars/<int:pk>/remove/", calendars.calendar_remove, name="calendar_remove"),
    path("reviews/", reviews.review_list, name="reviews"),
    path("clients/", clients.client_list, name="clients"),
    path("clients/<int:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<int:client_id>/note/", clients.client_note, name="client_note"),
    path("clients/<int:client_id>/nudge/", clients.client_nudge, name="client_nudge"),
    path("clients/<int:client_id>/repeat/", series.client_series, name="client_series"),
]
