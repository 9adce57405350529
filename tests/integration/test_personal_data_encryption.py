"""Phone numbers are encrypted at rest, and can still be found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.app.encryption_keys import EncryptionKeyError, key_file_for, load_keys
from bot.config.settings import Settings
from storage.crypto import FieldCipher, cipher, generate_key, normalise_phone
from storage.models import Person

PHONE = "+86 138-0013-8000"


async def test_the_raw_column_does_not_hold_the_number(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=1, full_name="王", phone=PHONE, created_at=clock.now()))
    async with sessionmaker() as session:
        raw = (await session.execute(text("SELECT phone, phone_index FROM people"))).one()
        person = await session.scalar(select(Person))
    assert "138" not in raw.phone and "8000" not in raw.phone
    assert person is not None and person.phone == PHONE  # decrypted transparently
    assert raw.phone_index == cipher().blind_index("+8613800138000")


async def test_lookup_by_phone_works_through_the_blind_index(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=1, phone=PHONE, created_at=clock.now()))
        session.add(Person(telegram_id=2, phone="+8613900000000", created_at=clock.now()))
    wanted = cipher().blind_index(normalise_phone("+8613800138000"))
    async with sessionmaker() as session:
        found = (await session.scalars(select(Person).where(Person.phone_index == wanted))).all()
    assert [p.telegram_id for p in found] == [1]


def test_rotated_keys_still_decrypt_old_values() -> None:
    old, new = generate_key(), generate_key()
    token = FieldCipher([old]).encrypt("+1 555 0100")
    assert FieldCipher([new, old]).decrypt(token) == "+1 555 0100"
    with pytest.raises(ValueError):
        FieldCipher([new]).decrypt(token)


def test_key_sources(tmp_path: Path) -> None:
    sqlite = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3")
    first = load_keys(sqlite)
    assert key_file_for(sqlite.database_url) == tmp_path / "bot.key"
    assert load_keys(sqlite) == first  # created once, then reused
    assert (tmp_path / "bot.key").stat().st_mode & 0o777 == 0o600
    postgres = Settings(_env_file=None, database_url="postgresql+asyncpg://u@h/db")
    with pytest.raises(EncryptionKeyError):
        load_keys(postgres)
    with pytest.raises(EncryptionKeyError):
        load_keys(
            Settings(_env_file=None, database_url=postgres.database_url, data_encryption_key="bad")
        )
