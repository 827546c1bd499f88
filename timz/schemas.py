"""JSON shapes shared by every app's API v1 router (see timz.api)."""

from ninja import Schema


class ErrorOut(Schema):
    """Every 4xx of the API: one human-readable sentence (timz.api's exception handlers)."""

    detail: str
