"""Unit codes: printed by the CLI, stored only as hashes, single-use, rate-limited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config.orgfile import load_organisation
from bot.services import unit_codes
from bot.services.resident_units import units_of
from storage.models import UnitCode
from tests.integration.test_cli import run_cli
from tests.integration.ticket_fixtures import add_resident, setup_org


@pytest.fixture
def org(org_file):
    return load_organisation(org_file)


async def test_codes_are_stored_hashed_and_bind_once(sessionmaker, clock, org) -> None:
    async with sessionmaker() as session, session.begin():
        await setup_org(session, org, clock.now())
        issued = await unit_codes.issue_codes(session, "sunshine", clock.now(), timedelta(days=7))
        alice = await add_resident(session, 7001, "Alice", clock.now())
        bob = await add_resident(session, 7002, "Bob", clock.now())
    assert [(c.building, c.unit) for c in issued] == [
        ("1", "101"),
        ("1", "102"),
        ("1", "201"),
        ("2", "101"),
    ]
    assert all(len(c.code) == 12 and c.display.count("-") == 2 for c in issued)

    async with sessionmaker() as session:
        rows = (await session.scalars(select(UnitCode))).all()
    for code, row in zip(issued, rows, strict=True):
        assert row.selector == code.code[:4]
        assert code.code[4:] not in row.verifier_hash and len(row.verifier_hash) == 64

    policy = org.residents
    async with sessionmaker() as session, session.begin():
        label = await unit_codes.redeem(
            session, 7001, alice.id, issued[1].display, clock.now(), policy
        )
        assert label.full == "阳光花园 1号楼 102"
        assert [u.unit_id for u in await units_of(session, alice.id)] == [label.unit_id]
    async with sessionmaker() as session, session.begin():
        with pytest.raises(unit_codes.CodeRefused) as used:
            await unit_codes.redeem(session, 7002, bob.id, issued[1].code, clock.now(), policy)
    assert used.value.reason == "This code has already been used."


async def test_wrong_verifier_with_a_real_selector_is_refused(sessionmaker, clock, org) -> None:
    async with sessionmaker() as session, session.begin():
        await setup_org(session, org, clock.now())
        [first, *_] = await unit_codes.issue_codes(
            session, "sunshine", clock.now(), timedelta(days=7)
        )
        alice = await add_resident(session, 7001, "Alice", clock.now())
    forged = first.code[:4] + ("A" if first.code[4] != "A" else "B") + first.code[5:]
    async with sessionmaker() as session, session.begin():
        with pytest.raises(unit_codes.CodeRefused) as refused:
            await unit_codes.redeem(session, 7001, alice.id, forged, clock.now(), org.residents)
    assert refused.value.reason.startswith("This code is not valid")


def test_normalise_accepts_what_people_type() -> None:
    assert unit_codes.normalise("abcd-efgh-jkmn") == "ABCDEFGHJKMN"
    assert unit_codes.normalise(" ABCD EFGH JKMN ") == "ABCDEFGHJKMN"
    assert unit_codes.normalise("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert unit_codes.normalise("hello") is None
    assert unit_codes.normalise("电梯坏了电梯坏了电梯坏了") is None
    # Outside the code step only a code-shaped text counts, not any twelve letters.
    assert unit_codes.looks_like_code("abcd efgh jkmn")
    assert not unit_codes.looks_like_code("check my dryer")


def test_cli_prints_a_csv_of_codes(tmp_path, database_url, org_file) -> None:
    env = {"DATABASE_URL": database_url, "BOT_CONFIG": str(org_file)}
    result = run_cli(
        "unit-codes",
        "--project",
        "sunshine",
        "--building",
        "1",
        "--bot-username",
        "@resident_test_bot",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["unit"] for r in rows] == ["101", "102", "201"]
    assert rows[0]["link"] == (
        f"https://t.me/resident_test_bot?start={rows[0]['code'].replace('-', '')}"
    )
    assert "3 unit code(s) for sunshine" in result.stderr

    unknown = run_cli("unit-codes", "--project", "nowhere", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and 'No project "nowhere"' in unknown.stderr

    out = tmp_path / "codes.csv"
    written = run_cli(
        "unit-codes", "--project", "plaza", "--output", str(out), cwd=tmp_path, env=env
    )
    assert written.returncode == 0 and written.stdout == ""
    assert (
        out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("project,building,unit,code")
    )
