"""JSON shapes shared by every app's API v1 router (see timz.api)."""

from typing import Annotated

from ninja import Schema
from pydantic import Field

# An object id in a JSON body: a JSON integer, never true, 1.0 or "1" (lenient coercion read
# `true` as id 1, someone else's object), within PostgreSQL's bigint.
Id = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
# A whole number in a JSON body (a rating, a count): strict for the same reason.
WholeNumber = Annotated[int, Field(strict=True)]


class ErrorOut(Schema):
    """Every 4xx of the API: one human-readable sentence (timz.api's exception handlers)."""

    detail: str
