"""Compiled SQL kept per query shape, for the few hot queries whose ORM build and compile cost
far more than running them (the slot check of a booking: ~2 ms of Python around 0.1 ms of
SQLite).

``rows(key, build, **values)``: ``build(**values)`` returns a QuerySet. The first call for
`key` on a database builds and compiles it with stand-in values and remembers where each
value's parameter sits in the SQL; every later call only adapts the values as the compiler
would and runs the SQL. Rows come as the driver hands them (no converters, as in
``bookings.selectors._raw_rows``).

``instances(key, build, **values)``: the same for a QuerySet of model instances, its
``select_related`` objects attached, built as Django's own iterator builds them (the
converters, ``from_db``, the related populators) from what the first compile left: for the
lookups that run on every request of a kind (a booking's service with its pro, the signed-in
user), whose select_related joins cost milliseconds to compile.

The contract `build` must keep: the SQL depends on nothing but `key` (anything that changes the
shape, such as an optional filter, belongs in the key) and each value reaches the SQL as it is,
compared with but never computed on (derive bounds before the call and pass them). Both are
checked when a shape is first compiled: it is built twice with two sets of stand-ins, the SQL
must be the same and every parameter that differs must be one of the stand-ins; otherwise
``ValueError``, at the first call, so a test of the caller catches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import _get_from_db, get_related_populators

# The kinds of value a prepared query takes, each with its stand-ins and its adaptation (what
# the compiler does to a value compared with a field of that kind).
_INT, _DATETIME, _DATE = "int", "datetime", "date"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("A prepared query takes ints, dates and datetimes, not booleans.")
    if isinstance(value, int):
        return _INT
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("A prepared query takes aware datetimes.")
        return _DATETIME
    if isinstance(value, date):
        return _DATE
    raise TypeError(f"A prepared query takes ints, dates and datetimes, not {type(value)}.")


def _stand_in(kind: str, n: int, of_set: int) -> Any:
    """The n-th stand-in of a kind in stand-in set 1 or 2: values no real query uses."""
    if kind == _INT:
        return -(of_set * 10**15 + 2 * n + of_set)  # odd in one set, even in the other
    if kind == _DATETIME:
        return datetime(1900 + of_set, 1, 1, tzinfo=UTC) + timedelta(minutes=n + 1)
    return date(1900 + of_set, 1, 1) + timedelta(days=n + 1)


def _adapt(kind: str, value: Any, ops) -> Any:
    if kind == _DATETIME:
        return ops.adapt_datetimefield_value(value)
    if kind == _DATE:
        return ops.adapt_datefield_value(value)
    return value


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple  # the constants, with None where a value goes
    slots: tuple[tuple[int, str, str], ...]  # (position, value name, kind)
    load: Callable[[list[tuple], Any], list[Model]] | None = None  # rows -> instances


_compiled: dict[tuple[str, str, str, bool], _Compiled] = {}


def _compile(qs: QuerySet):
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _loader(qs: QuerySet, compiler) -> Callable[[list[tuple], Any], list[Model]]:
    """What ``django.db.models.query.ModelIterable`` does with the rows of `compiler` (compiled),
    kept: converters, the model's ``from_db`` and the related populators of select_related."""
    if qs.query.annotation_select or qs._known_related_objects or qs._prefetch_related_lookups:
        raise ValueError("A prepared query of instances takes plain and select_related models.")
    select, klass_info = compiler.select, compiler.klass_info
    fields = [column[0] for column in select[: compiler.col_count]]
    converters = list(compiler.get_converters(fields).items())
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    fetch_mode = qs._fetch_mode
    if fetch_mode.track_peers:
        raise ValueError("A prepared query of instances does not track peers.")
    from_db = _get_from_db(klass_info["model"], fetch_mode)
    populators = get_related_populators(klass_info, select, qs.db, fetch_mode)
    db = qs.db

    def load(rows: list[tuple], connection) -> list[Model]:
        found = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
            instance = from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            found.append(instance)
        return found

    return load


def _prepare(
    build: Callable[..., QuerySet], kinds: dict[str, str], using: str, *, models: bool = False
) -> _Compiled:
    ops = connections[using].ops
    stand_ins = [
        {name: _stand_in(kind, n, of_set) for n, (name, kind) in enumerate(kinds.items())}
        for of_set in (1, 2)
    ]
    built = build(**stand_ins[0]).using(using)
    sql, first, compiler = _compile(built)
    again, second, _ = _compile(build(**stand_ins[1]).using(using))
    if sql != again or len(first) != len(second):
        raise ValueError("A prepared query's SQL depends on its values: put that in its key.")
    where = {
        (_adapt(kind, stand_ins[0][name], ops), _adapt(kind, stand_ins[1][name], ops)): (
            name,
            kind,
        )
        for name, kind in kinds.items()
    }
    params: list = []
    slots = []
    for position, pair in enumerate(zip(first, second, strict=True)):
        if pair[0] == pair[1]:
            params.append(pair[0])
        elif pair in where:
            params.append(None)
            slots.append((position, *where[pair]))
        else:
            raise ValueError(
                "A prepared query computes on one of its values (parameter "
                f"{position}: {pair[0]!r}): derive it before the call and pass it."
            )
    unused = set(kinds) - {name for _, name, _ in slots}
    if unused:
        raise ValueError(f"A prepared query does not use {sorted(unused)}.")
    load = _loader(built, compiler) if models else None
    return _Compiled(sql, tuple(params), tuple(slots), load)


def _run(key: str, build, using: str, values: dict, *, models: bool):
    connection = connections[using]
    kinds = {name: _kind_of(value) for name, value in values.items()}
    cache_key = (key, using, connection.vendor, models)
    compiled = _compiled.get(cache_key)
    if compiled is None:
        compiled = _compiled[cache_key] = _prepare(build, kinds, using, models=models)
    params = list(compiled.params)
    for position, name, kind in compiled.slots:
        if _kind_of(values[name]) != kind:
            raise TypeError(f"{key}: {name} was a {kind} when it was prepared.")
        params[position] = _adapt(kind, values[name], connection.ops)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        found = cursor.fetchall()
    return compiled.load(found, connection) if models else found


def rows(
    key: str, build: Callable[..., QuerySet], *, using: str = DEFAULT_DB_ALIAS, **values
) -> list[tuple]:
    """The rows of ``build(**values)``, from SQL compiled once per `key` and database."""
    return _run(key, build, using, values, models=False)


def instances[M: Model](
    key: str, build: Callable[..., QuerySet[M]], *, using: str = DEFAULT_DB_ALIAS, **values
) -> list[M]:
    """The model instances of ``build(**values)`` (a QuerySet of a model, with select_related
    at most: no values(), annotations or prefetches), as iterating it would give them, from
    SQL compiled once per `key` and database."""
    return _run(key, build, using, values, models=True)
