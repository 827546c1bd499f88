from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.conversation_detail, name="conversation"),
    path("start/pro/<slug:slug>/", views.start_with_pro, name="start_with_pro"),
    path("start/client/<int:client_id>/", views.start_with_client, name="start_with_client"),
    path("booking/<int:booking_pk>/", views.for_booking, name="for_booking"),
]
