"""Websocket URL routes (wrapped by timz.asgi in origin validation and session auth)."""

from django.urls import path

from chat import consumers

websocket_urlpatterns = [
    path("ws/chat/<int:conversation_id>/", consumers.ChatConsumer.as_asgi()),
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
]
