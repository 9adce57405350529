"""Looking for personal data left in clear at rest: in a SQLite database's files (the
database, its ``-wal``, ``-shm`` and ``-journal``), in every text, JSON and bytea column
of every table of a PostgreSQL database, and in log text.

Used after every end-to-end test (``tests/e2e/conftest.py``) with the phone numbers the
test shared or stored, and by tests that check one scenario closely.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.types import Text

from storage.db import create_engine

# Fewer digits than this could be anything (a count, an id): not looked for.
MIN_PHONE_DIGITS = 7
_TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea")


def phone_digits(phone: str) -> str | None:
    """What a phone number looks like wherever it is stored or logged in clear: its digits
    (``+86 139-1234-5678`` → ``8613912345678``); None for too few to look for."""
    digits = re.sub(r"\D", "", phone)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def sqlite_files(database_url: str) -> list[Path]:
    """The database file and those of its companions that exist."""
    database = Path(make_url(database_url).database or "")
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")]
    return [p for p in (database, *companions) if p.exists()]


def found_in_files(paths: Iterable[Path], needles: Collection[str]) -> list[str]:
    """``"<file name>: <needle>"`` for each needle found in a file's bytes."""
    found = []
    for path in paths:
        data = path.read_bytes()
        found += [f"{path.name}: {n}" for n in sorted(needles) if n.encode() in data]
    return found


def found_in_text(text_: str, needles: Collection[str]) -> list[str]:
    return [n for n in sorted(needles) if n in text_]


async def found_in_postgres(database_url: str, needles: Collection[str]) -> list[str]:
    """``"<table>.<column>: <needle>"`` for each needle stored in clear in a column."""
    if not needles:
        return []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            columns = (
                await connection.execute(
                    text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND data_type = ANY(:types)"
                        " ORDER BY table_name, column_name"
                    ).bindparams(bindparam("types", list(_TEXT_TYPES), type_=ARRAY(Text)))
                )
            ).all()
            if not columns:
                return []
            selects = []
            for table, column, data_type in columns:
                value = (
                    f'encode("{table}"."{column}", \'escape\')'
                    if data_type == "bytea"
                    else f'"{table}"."{column}"::text'
                )
                selects.append(
                    f"SELECT DISTINCT '{table}.{column}' AS place, n.needle"
                    f' FROM "{table}" JOIN unnest(:needles) AS n(needle)'
                    f" ON strpos({value}, n.needle) > 0"
                )
            statement = text(" UNION ALL ".join(selects)).bindparams(
                bindparam("needles", sorted(needles), type_=ARRAY(Text))
            )
            rows = (await connection.execute(statement)).all()
    finally:
        await engine.dispose()
    return sorted(f"{place}: {needle}" for place, needle in rows)
