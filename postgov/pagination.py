"""API pagination with bounds: an absurd offset or page number would overflow SQL OFFSET
(a 500) instead of returning an empty page, and an unbounded limit would let one request
read a whole table."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, PageNumberPagination

MAX_LIMIT = 200
MAX_OFFSET = 10_000_000
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
# The largest row id an API input may name: far beyond any real id, and within a signed
# 64-bit integer, so a lookup by a huge id finds nothing instead of overflowing the query.
MAX_ID = 2**62


class BoundedLimitOffset(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BoundedPageNumber(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
