"""Websocket URL routes (wrapped by timz.asgi in origin validation and session auth)."""

websocket_urlpatterns: list = []
