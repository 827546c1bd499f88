"""JSON shapes shared by every app's API v1 router (see timz.api)."""

from typing import Annotated

from django.core.paginator import InvalidPage, Page, Paginator
from ninja import Schema
from ninja.errors import HttpError
from pydantic import Field

# An object id in a JSON body: a JSON integer, never true, 1.0 or "1" (lenient coercion read
# `true` as id 1, someone else's object), within PostgreSQL's bigint.
Id = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
# A whole number in a JSON body (a rating, a count): strict for the same reason.
WholeNumber = Annotated[int, Field(strict=True)]


class ErrorOut(Schema):
    """Every 4xx of the API: one human-readable sentence (timz.api's exception handlers)."""

    detail: str


def page_or_400(items, number: int, size: int) -> Page:
    """Page `number` (1-based) of `items`, `size` a page; HttpError 400 naming the pages there
    are when there is no such page."""
    paginator = Paginator(items, size)
    try:
        return paginator.page(number)
    except InvalidPage as exc:
        raise HttpError(
            400, f"Page {number} does not exist; pages run from 1 to {paginator.num_pages}."
        ) from exc
