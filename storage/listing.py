"""The ticket listing's SQL, written once for both read paths: the repository (SQLAlchemy, inside a unit
of work) and ``storage.readonly`` (the CLI's drivers, without SQLAlchemy).

Tickets come newest first (``received_at``, then ``id``), one page at a time after a keyset, so a listing
of any size is read in bounded memory and never needs more than a handful of bind parameters. The SQL uses
``:name`` parameters (SQLAlchemy's ``text`` and ``sqlite3`` take them as they are; ``storage.readonly``
numbers them for asyncpg) and no ``::`` casts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.casework.tickets import OPEN

OPEN_STATUSES = sorted(s.value for s in OPEN)
OPEN_WHERE = f"status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"
"""The open statuses as SQL (a literal list: the predicate of a partial index, which a query matches only if it
names the same values, not parameters)."""
DEFAULT_CHUNK = 1000
"""Tickets read per page by a streamed listing."""
EVENT_IDS_PER_QUERY = 1000
"""Events are read for at most this many tickets per statement (drivers cap bind parameters: asyncpg at
32,767, SQLite at 32,766)."""


@dataclass(frozen=True)
class ListingShape:
    """Which filters a listing has; each one True takes the bind parameter of its name (``customer``:
    ``:customer_id``, ``overdue``: ``:overdue_at``, ``after``: the keyset ``:after_at``, ``:after_id``)."""

    status: bool = False
    customer: bool = False
    open_only: bool = False
    department: bool = False
    channel: bool = False
    overdue: bool = False
    after: bool = False


def listing_sql(shape: ListingShape, columns: str = "*") -> str:
    """One page (``:limit``) of the tickets of ``shape``, newest first."""
    where = []
    if shape.status:
        where.append("status = :status")
    if shape.customer:
        where.append("customer_id = :customer_id")
    if shape.open_only or shape.overdue:
        where.append(OPEN_WHERE)
    if shape.department:
        where.append("department = :department")
    if shape.channel:
        where.append("channel = :channel")
    if shape.overdue:
        where.append("due_at < :overdue_at")
    if shape.after:  # the first conjunct alone is an index range on received_at
        where.append("received_at <= :after_at AND (received_at < :after_at OR id < :after_id)")
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT {columns} FROM tickets{condition} ORDER BY received_at DESC, id DESC LIMIT :limit"
