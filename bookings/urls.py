from django.urls import path

from bookings import views

app_name = "bookings"

urlpatterns = [
    # Booking flow (linked from the pro page).
    path("new/<slug:slug>/<int:service_id>/", views.book, name="book"),
    path("new/<slug:slug>/<int:service_id>/confirm/", views.confirm, name="confirm"),
    # Client and both sides.
    path("mine/", views.my_bookings, name="my_bookings"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/done/", views.done, name="done"),
    path("<int:pk>/booking.ics", views.booking_ics, name="ics"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/review/reply/", views.review_reply, name="review_reply"),
    path("<int:pk>/action/<slug:action>/", views.act, name="act"),
    # Pro dashboard.
    path("agenda/", views.agenda, name="agenda"),
    path("services/", views.service_list, name="services"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/delete/", views.service_delete, name="service_delete"),
    path("services/<int:pk>/move/<str:direction>/", views.service_move, name="service_move"),
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/day/<int:weekday>/", views.schedule_day, name="schedule_day"),
    path("schedule/overrides/", views.override_create, name="override_create"),
    path("schedule/overrides/<int:pk>/delete/", views.override_delete, name="override_delete"),
    path("schedule/time-off/", views.time_off_create, name="time_off_create"),
    path("schedule/time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
    path("rules/", views.rules, name="rules"),
    path("rules/calendar-token/", views.calendar_token_regenerate, name="calendar_token"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
