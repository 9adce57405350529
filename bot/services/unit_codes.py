"""One-time unit codes: printed by the office, redeemed by a resident to bind a unit.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
shown as ``ABCD-EFGH-JKMN``: the first four are a *selector* stored in clear to
find the row, the other eight a *verifier* stored only as a salted PBKDF2
hash. Codes are single-use and expire; wrong tries are counted per Telegram
user and refused beyond a limit per time window.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile.models import ResidentPolicy
from bot.i18n import N_, NP_
from bot.services import audit
from bot.services.errors import Refused
from bot.services.resident_units import UnitLabel, bind, is_bound, unit_label
from storage.db import claim
from storage.models import (
    Building,
    OrgUnit,
    PropertyUnit,
    UnitCode,
    UnitCodeAttempt,
)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SELECTOR_LENGTH = 4
VERIFIER_LENGTH = 8
CODE_LENGTH = SELECTOR_LENGTH + VERIFIER_LENGTH
HASH_ITERATIONS = 20_000


class CodeRefused(Refused):
    """A unit code that cannot be used; wrong tries are counted, not audited."""

    code = "unit_code_refused"
    audited = False


class InvalidCode(CodeRefused):
    """Not a code, or none we issued: the same answer, so guessing learns nothing."""

    default_reason = N_("This code is not valid. Please check it and try again.")


class CodeUsed(CodeRefused):
    default_reason = N_("This code has already been used.")


@dataclass(frozen=True)
class IssuedCode:
    project_key: str
    building: str
    unit: str
    code: str
    expires_at: datetime

    @property
    def display(self) -> str:
        return format_code(self.code)


def normalise(text: str) -> str | None:
    """The code in canonical form, or None if ``text`` cannot be a code."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


# Outside the code step, only text shaped like a printed code is taken for one
# ("ABCD-EFGH-JKMN", "abcd efgh jkmn", "ABCDEFGHJKMN"), not any 12 letters.
_CODE_SHAPE = re.compile(r"\s*[0-9A-Za-z]{4}[-\s]?[0-9A-Za-z]{4}[-\s]?[0-9A-Za-z]{4}\s*")


def looks_like_code(text: str) -> bool:
    return _CODE_SHAPE.fullmatch(text) is not None and normalise(text) is not None


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _hash(verifier: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac(
        "sha256", verifier.encode("ascii"), bytes.fromhex(salt), HASH_ITERATIONS
    )
    return digest.hex()


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


async def _new_selector(session: AsyncSession) -> str:
    while True:
        selector = _random_chars(SELECTOR_LENGTH)
        taken = await session.scalar(select(UnitCode.id).where(UnitCode.selector == selector))
        if taken is None:
            return selector


async def issue_codes(
    session: AsyncSession,
    project_key: str,
    now: datetime,
    ttl: timedelta,
    *,
    building_key: str | None = None,
) -> list[IssuedCode]:
    """A fresh code for every active unit of the project (or of one building)."""
    query = (
        select(PropertyUnit.id, Building.key, PropertyUnit.key)
        .join(Building, PropertyUnit.building_id == Building.id)
        .join(OrgUnit, Building.project_id == OrgUnit.id)
        .where(
            OrgUnit.key == project_key,
            OrgUnit.active.is_(True),
            Building.active.is_(True),
            PropertyUnit.active.is_(True),
        )
        .order_by(Building.id, PropertyUnit.id)
    )
    if building_key is not None:
        query = query.where(Building.key == building_key)
    issued = []
    for unit_id, building, unit in (await session.execute(query)).all():
        selector = await _new_selector(session)
        verifier = _random_chars(VERIFIER_LENGTH)
        salt = secrets.token_hex(16)
        session.add(
            UnitCode(
                selector=selector,
                salt=salt,
                verifier_hash=_hash(verifier, salt),
                property_unit_id=unit_id,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        await session.flush()
        issued.append(IssuedCode(project_key, building, unit, selector + verifier, now + ttl))
    return issued


def write_csv(codes: Iterable[IssuedCode], stream: TextIO, bot_username: str | None) -> None:
    writer = csv.writer(stream)
    writer.writerow(["project", "building", "unit", "code", "link", "expires_at_utc"])
    for code in codes:
        link = f"https://t.me/{bot_username}?start={code.code}" if bot_username else ""
        writer.writerow(
            [
                code.project_key,
                code.building,
                code.unit,
                code.display,
                link,
                code.expires_at.strftime("%Y-%m-%d %H:%M"),
            ]
        )


async def _failed_attempts(
    session: AsyncSession, telegram_id: int, since: datetime
) -> tuple[int, datetime | None]:
    row = (
        await session.execute(
            select(func.count(), func.min(UnitCodeAttempt.at)).where(
                UnitCodeAttempt.telegram_id == telegram_id,
                UnitCodeAttempt.succeeded.is_(False),
                UnitCodeAttempt.at > since,
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


async def _matching_code(session: AsyncSession, code: str) -> UnitCode | None:
    row = await session.scalar(select(UnitCode).where(UnitCode.selector == code[:SELECTOR_LENGTH]))
    if row is None:
        _hash(code[SELECTOR_LENGTH:], "00" * 16)  # same work either way: no timing hint
        return None
    expected = _hash(code[SELECTOR_LENGTH:], row.salt)
    return row if hmac.compare_digest(expected, row.verifier_hash) else None


async def redeem(
    session: AsyncSession,
    telegram_id: int,
    person_id: int,
    text: str,
    now: datetime,
    policy: ResidentPolicy,
) -> UnitLabel:
    """Bind the resident to the code's unit; the code cannot be used again."""
    window_start = now - policy.unit_code_attempt_window
    failures, oldest = await _failed_attempts(session, telegram_id, window_start)
    if failures >= policy.unit_code_max_attempts:
        retry_at = (oldest or now) + policy.unit_code_attempt_window
        minutes = max(1, int((retry_at - now).total_seconds() // 60) + 1)
        raise CodeRefused(
            *NP_(
                "Too many wrong codes. Please try again in {count} minute.",
                "Too many wrong codes. Please try again in {count} minutes.",
            ),
            count=minutes,
        )
    code = normalise(text)
    if code is None:  # not even shaped like a code: a slip, not a guess
        raise InvalidCode
    found = await _matching_code(session, code)
    usable = found is not None and found.used_at is None and found.expires_at > now
    session.add(UnitCodeAttempt(telegram_id=telegram_id, at=now, succeeded=usable))
    await session.flush()
    if found is None:
        raise InvalidCode
    if found.used_at is not None:
        raise CodeUsed
    if found.expires_at <= now:
        raise CodeRefused(
            N_("This code has expired. Please ask the property office for a new one.")
        )
    if await is_bound(session, person_id, found.property_unit_id):
        raise CodeRefused(N_("You are already registered for this unit."))
    if not await claim(
        session,
        UnitCode,
        UnitCode.id == found.id,
        UnitCode.used_at.is_(None),
        used_at=now,
        used_by_id=person_id,
    ):
        raise CodeUsed
    label = await unit_label(session, found.property_unit_id)
    if label is None:
        raise InvalidCode
    await bind(session, person_id, label.unit_id, "code", now)
    await audit.record(
        session,
        now,
        None,
        "unit.bind",
        org_unit_id=label.project_id,
        subject_person_id=person_id,
        data={"via": "code", "unit_id": label.unit_id},
    )
    return label
