from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("get-paid/", views.get_paid, name="get_paid"),
    path("get-paid/return/", views.onboarding_return, name="onboarding_return"),
    path("get-paid/refresh/", views.onboarding_refresh, name="onboarding_refresh"),
    path("money/", views.money, name="money"),
    path("checkout/<int:pk>/", views.checkout, name="checkout"),
    path("checkout/<int:pk>/done/", views.checkout_return, name="checkout_return"),
    path("checkout/<int:pk>/status/", views.checkout_status, name="checkout_status"),
    path("test-payment/<str:session_id>/", views.test_checkout, name="test_checkout"),
    path("tip/<int:pk>/", views.tip, name="tip"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("cards/<int:pk>/", views.card_setup, name="card_setup"),
    path("cards/<int:pk>/done/", views.card_setup_return, name="card_setup_return"),
    path("test-card/<str:session_id>/", views.test_card_setup, name="test_card_setup"),
    path("fees/<int:pk>/charge/", views.fee_charge, name="fee_charge"),
    path("fees/<int:pk>/pay/", views.fee_pay, name="fee_pay"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
