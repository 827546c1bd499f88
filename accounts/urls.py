from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("p/<slug:slug>/", views.pro_detail, name="pro_detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/profile/", views.pro_profile_edit, name="pro_profile_edit"),
    path("profile/", views.profile, name="profile"),
]
