from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("p/<slug:slug>/", views.pro_detail, name="pro_detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/profile/", views.pro_profile_edit, name="pro_profile_edit"),
    path("profile/", views.profile, name="profile"),
    path("profile/export/", views.export_data, name="export_data"),
    path("profile/delete/", views.delete_account, name="delete_account"),
    path("language/", views.language_set, name="language_set"),
]
