"""Declarative base shared by every model, with a naming convention so that
Alembic migrations get stable constraint names on both databases."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Enum, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Auto-increment primary keys: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
BigIntPk = BigInteger().with_variant(Integer(), "sqlite")


def stored_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as its plain string values (no native ENUM type), so that
    migrations stay simple on both databases."""
    return Enum(
        cls, name=name, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for the statements that skip the ORM on hot paths."""
    table = model.__table__
    assert isinstance(table, Table)  # ``__table__`` is declared as any FROM clause
    return table
