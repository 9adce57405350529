"""The organisation file: the shipped example, a broken file, CSV units."""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import ValidationError

from bot.config.orgfile import (
    EXAMPLE_ORGANISATION_PATH,
    Hq,
    Organisation,
    OrgFileError,
    Problem,
    Project,
    Region,
    Staff,
    check_organisation,
    load_organisation,
)
from bot.config.orgfile.__main__ import main as cli_main
from bot.config.orgfile.models import check_timezone


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    """1-based line of the only line containing ``marker``."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line]
    assert len(lines) == 1, (marker, lines)
    return lines[0]


MINIMAL = """
    [hq]
    name = "总部"

    [[regions]]
    key = "east"
    name = "华东"
"""


# --------------------------------------------------------------------------- the example


def test_example_loads_without_problems() -> None:
    assert check_organisation(EXAMPLE_ORGANISATION_PATH) == []
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    assert org.timezone == "Asia/Shanghai"
    assert org.default_language == "zh_CN"
    assert org.unit_keys() == ["hq", "east", "south", "sunshine", "binjiang", "nanhu"]
    assert sorted(p.kind for p in org.projects) == ["commercial", "public", "residential"]
    assert {s.role for s in org.staff} == {"agent", "manager", "admin"}
    assert [s.unit for s in org.staff if s.role == "admin"] == ["hq"]
    assert len(org.categories) >= 8
    for category in org.categories:
        assert category.name.zh and category.name.en
    assert org.category("other").kinds == ["repair", "complaint", "suggestion", "inquiry"]


def test_example_units_come_from_csv_and_inline() -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    sunshine = org.project("sunshine")
    assert sunshine.units_csv == "units/sunshine.csv"
    # CSV buildings are named by the inline entries; the shops are inline only.
    assert [(b.key, b.name) for b in sunshine.buildings][:2] == [("1", "1号楼"), ("2", "2号楼")]
    assert sunshine.building("1").unit("604").floor == 6
    assert sunshine.building("P").unit("P001").kind == "parking"
    assert sunshine.building("S").unit("S01").kind == "shop"
    assert sunshine.has_unit("3", "101") and not sunshine.has_unit("3", "999")
    assert org.project("binjiang").building("M").unit("B1-01").floor == -1
    assert org.project("nanhu").group_chat_id is None  # not bound yet


def test_example_lookups() -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    assert org.region("east").name == "华东区域中心"
    assert [p.key for p in org.projects_in("east")] == ["sunshine", "binjiang"]
    assert [u.key for u in org.chain("sunshine")] == ["sunshine", "east", "hq"]
    assert [u.key for u in org.chain("south")] == ["south", "hq"]
    assert org.project_by_prefix("BJ").key == "binjiang"
    assert org.project("sunshine").ticket_number(123) == "SG-000123"
    assert org.staff_member(100008).role == "admin"
    assert org.staff_member(1) is None
    assert {s.name for s in org.staff_of("sunshine")} == {"王芳", "李强"}
    assert org.category("water").name.get("en") == "Water leak"
    assert "漏水" in org.category("water").keywords.get("zh_CN")
    assert str(org.zone("nanhu")) == "Asia/Shanghai"
    with pytest.raises(KeyError):
        org.project("east")


def test_example_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([str(EXAMPLE_ORGANISATION_PATH)]) == 0
    assert ": OK" in capsys.readouterr().out


def test_models_are_frozen() -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    with pytest.raises(ValidationError):
        org.hq.name = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- a broken file

BROKEN = """
    timezone = "Asia/Shangai"                 # @tz
    default_language = "zh_CN"

    [hq]
    key = "hq"
    name = "总部"

    [[regions]]
    key = "east"
    name = "华东区域中心"

    [[projects]]
    key = "sunshine"
    name = "阳光花园"
    region = "west"                           # @region
    kind = "residential"
    ticket_prefix = "SG"
    units_csv = "units/sunshine.csv"

      [[projects.buildings]]
      key = "1"
      name = "1号楼"
      units = ["101", "102", "101"]           # @inline-dup

      [[projects.buildings]]
      key = "2"
      units = ["201"]

    [[projects]]
    key = "east"                              # @dup-key
    name = "东区广场"
    region = "east"
    kind = "commercial"
    ticket_prefix = "SG"                      # @dup-prefix
    timezone = "Mars/Olympus"                 # @project-tz
    units_csv = "units/missing.csv"           # @missing-csv

    [[projects]]
    key = "park"
    nmae = "公园"                              # @typo
    region = "east"
    kind = "park"                             # @kind
    ticket_prefix = "PK"

    [[staff]]
    telegram_id = 100001
    name = "王芳"
    role = "agent"
    unit = "sunshine"

    [[staff]]
    telegram_id = 100001                      # @dup-id
    name = "李强"
    role = "manager"
    unit = "nowhere"                          # @unknown-unit

    [[staff]]
    telegram_id = -5                          # @negative-id
    name = "陈静"
    role = "agent"
    unit = "park"

    [[categories]]
    key = "water"
    name = { zh = "水管漏水", en = "Water leak" }
    kinds = ["repair", "complaint"]

    [sla]
    first_response = "24h"
    resolution = "2 days"                     # @bad-duration

      [[sla.rules]]
      kind = "repair"
      category = ["water", "fire"]            # @unknown-category
      first_response = "30m"

      [[sla.rules]]                           # @never
      kind = "inquiry"
      category = "water"
      first_response = "0m"                   # @zero
"""

BROKEN_CSV = """
    building,unit,floor,kind
    2,202,2,
    2,203,two,
    2,201,2,
    2,202,2,
    3,301,3,castle
    ,302,3,
    3,303,3,,extra
    3,304,3,office
"""


def test_broken_file_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    toml = write(tmp_path, "organisation.toml", BROKEN)
    csv = write(tmp_path, "units/sunshine.csv", BROKEN_CSV)
    problems = check_organisation(toml)

    def at(marker: str) -> int:
        return line_of(toml, f"# @{marker}")

    expected = [
        # (file, line, place, message fragment)
        (toml, at("tz"), "timezone", 'unknown timezone "Asia/Shangai"'),
        (toml, at("region"), "projects[1] (sunshine).region", 'unknown region "west"'),
        (
            toml,
            at("inline-dup"),
            "projects[1] (sunshine).buildings[1] (1).units",
            'duplicate unit "101"',
        ),
        (toml, at("dup-key"), "projects[2] (east).key", 'duplicate key "east"'),
        (
            toml,
            at("dup-prefix"),
            "projects[2] (east).ticket_prefix",
            'duplicate ticket_prefix "SG": already used by projects[1] (sunshine)',
        ),
        (toml, at("project-tz"), "projects[2] (east).timezone", 'unknown timezone "Mars/Olympus"'),
        (toml, at("missing-csv"), "projects[2] (east).units_csv", "cannot read units CSV"),
        (toml, line_of(toml, 'key = "park"') - 1, "projects[3] (park).name", "missing"),
        (toml, at("typo"), "projects[3] (park).nmae", 'unknown key "nmae" (did you mean "name"?)'),
        (toml, at("kind"), "projects[3] (park).kind", 'got "park"'),
        (toml, at("dup-id"), "staff[2] (100001).telegram_id", "duplicate telegram_id 100001"),
        (toml, at("unknown-unit"), "staff[2] (100001).unit", 'unknown unit "nowhere"'),
        (toml, at("negative-id"), "staff[3] (-5).telegram_id", "greater than 0"),
        (toml, at("bad-duration"), "sla.resolution", 'invalid duration "2 days"'),
        (toml, at("unknown-category"), "sla.rules[1].category", 'unknown category "fire"'),
        (toml, at("never"), "sla.rules[2]", 'no listed category accepts kind "inquiry"'),
        (toml, at("zero"), "sla.rules[2].first_response", "greater than zero"),
        # CSV problems: file is the CSV, line is the CSV line.
        (csv, 3, "projects[1] (sunshine).units_csv", "floor must be a whole number"),
        (csv, 4, "projects[1] (sunshine).units_csv", 'duplicate unit "201" in building "2"'),
        (csv, 5, "projects[1] (sunshine).units_csv", "already listed on line 2"),
        (csv, 6, "projects[1] (sunshine).units_csv", 'unknown unit kind "castle"'),
        (csv, 7, "projects[1] (sunshine).units_csv", "missing building"),
        (csv, 8, "projects[1] (sunshine).units_csv", "expected at most 4 columns"),
    ]
    rendered = "\n".join(str(p) for p in problems)
    for file, line, place, fragment in expected:
        matches = [
            p
            for p in problems
            if p.file == str(file) and p.line == line and p.place == place and fragment in p.message
        ]
        assert matches, f"not reported: {file.name}:{line}: {place}: {fragment}\n{rendered}"
    assert len(problems) == len(expected), rendered
    # Problems come in file order: the TOML file by line, then the CSV.
    assert [p.file for p in problems] == sorted(
        (p.file for p in problems), key=lambda f: f != str(toml)
    )
    toml_lines = [p.line for p in problems if p.file == str(toml)]
    assert toml_lines == sorted(toml_lines)


def test_load_raises_with_all_problems(tmp_path: Path) -> None:
    toml = write(tmp_path, "organisation.toml", BROKEN)
    write(tmp_path, "units/sunshine.csv", BROKEN_CSV)
    with pytest.raises(OrgFileError) as caught:
        load_organisation(toml)
    assert len(caught.value.problems) == len(check_organisation(toml))
    assert "23 problems in organisation file" in str(caught.value)
    assert 'unknown region "west"' in str(caught.value)


def test_problem_renders_on_one_line() -> None:
    problem = Problem(
        "projects[2] (sunshine).region", 'unknown region "west"', 42, None, "organisation.toml"
    )
    assert str(problem) == (
        'organisation.toml:42: projects[2] (sunshine).region: unknown region "west"'
    )
    assert str(Problem("", "TOML syntax error: Invalid value", 3, 9, "o.toml")) == (
        "o.toml:3:9: TOML syntax error: Invalid value"
    )
    assert str(Problem("hq", "required table [hq] is missing", file="o.toml")) == (
        "o.toml: hq: required table [hq] is missing"
    )


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    toml = write(tmp_path, "organisation.toml", '[hq]\nname = "总部"\nkey = \n')
    (problem,) = check_organisation(toml)
    assert (problem.line, problem.column) == (3, 7)
    assert problem.place == ""
    assert problem.message.startswith("TOML syntax error: ")
    assert str(problem).startswith(f"{toml}:3:7: TOML syntax error")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    (problem,) = check_organisation(tmp_path / "nope.toml")
    assert "cannot read file" in problem.message
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[hq]\nname = "caf\xe9"\n')
    (problem,) = check_organisation(bad)
    assert (problem.line, problem.message) == (2, "file is not valid UTF-8 text")


def test_missing_hq_and_unknown_top_level_key(tmp_path: Path) -> None:
    toml = write(tmp_path, "organisation.toml", 'timezone = "UTC"\nproject = []\n')
    problems = check_organisation(toml)
    assert [(p.place, p.message, p.line) for p in problems] == [
        ("project", 'unknown key "project" (did you mean "projects"?)', 2),
        ("hq", "required table [hq] is missing", None),
    ]


def test_field_errors_do_not_cascade(tmp_path: Path) -> None:
    # The region's key is invalid: references to it are not reported as unknown.
    toml = write(
        tmp_path,
        "organisation.toml",
        """
        [hq]
        name = "总部"
        group_chat_id = 12345

        [[regions]]
        key = "East Side"
        name = "华东"

        [[projects]]
        key = "p"
        name = "P"
        region = "East Side"
        kind = "public"
        ticket_prefix = "P"

        [[staff]]
        telegram_id = 1
        name = "A"
        role = "agent"
        unit = "East Side"
        """,
    )
    problems = check_organisation(toml)
    assert [(p.place, p.line) for p in problems] == [
        ("hq.group_chat_id", 3),
        ("regions[1] (East Side).key", 6),
        ("projects[1] (p).region", 12),
        ("staff[1] (1).unit", 20),
    ]
    assert "negative Telegram group id" in problems[0].message
    # Each invalid value is reported once, as invalid; never as "unknown region/unit".
    for problem in problems[1:]:
        assert problem.message.startswith('invalid key "East Side"')


def test_rule_for_non_urgent_categories_never_matches(tmp_path: Path) -> None:
    toml = write(
        tmp_path,
        "organisation.toml",
        MINIMAL
        + """
    [[categories]]
    key = "noise"
    name = { zh = "噪音", en = "Noise" }

    [[sla.rules]]
    category = "noise"
    urgent = true
    first_response = "1h"
    """,
    )
    (problem,) = check_organisation(toml)
    assert problem.place == "sla.rules[1]"
    assert "urgent = true but no listed category has urgent_allowed" in problem.message


def test_strict_types(tmp_path: Path) -> None:
    toml = write(
        tmp_path,
        "organisation.toml",
        MINIMAL
        + """
    [[staff]]
    telegram_id = "100001"
    name = "A"
    role = "agent"
    unit = "east"

    [[categories]]
    key = "x"
    name = { zh = "X", en = "" }
    urgent_allowed = "yes"
    kinds = []

    [sla]
    first_response = 24
    """,
    )
    problems = {p.place: p.message for p in check_organisation(toml)}
    assert problems == {
        "staff[1] (100001).telegram_id": 'Input should be a valid integer, got "100001"',
        "categories[1] (x).name.en": 'String should have at least 1 character, got ""',
        "categories[1] (x).urgent_allowed": 'Input should be a valid boolean, got "yes"',
        "categories[1] (x).kinds": "List should have at least 1 item after validation, not 0",
        "sla.first_response": 'durations are written as strings such as "24h", got 24',
    }


# --------------------------------------------------------------------------- units CSV


def project_toml(units_csv: str = "units.csv", buildings: str = "") -> str:
    return (
        MINIMAL
        + dedent(
            f"""
        [[projects]]
        key = "p"
        name = "P"
        region = "east"
        kind = "residential"
        ticket_prefix = "P"
        units_csv = "{units_csv}"
        """
        )
        + dedent(buildings)
    )


def test_csv_is_merged_with_inline_buildings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "data/units.csv",
        """
        building,unit,floor,kind
        # comment lines and blank lines are skipped

        1,101,1,
        1,102,1,apartment
        2,201,,
        G,G01,-1,parking
        """,
    )
    toml = write(
        tmp_path,
        "organisation.toml",
        project_toml(
            "data/units.csv",
            """
            [[projects.buildings]]
            key = "2"
            name = "2号楼"
            units = ["202", { key = "203", floor = 2, kind = "shop" }]

            [[projects.buildings]]
            key = 1
            name = "1号楼"
            name_en = "Building 1"
            """,
        ),
    )
    org = load_organisation(toml)
    project = org.project("p")
    assert [(b.key, b.name, b.name_en) for b in project.buildings] == [
        ("2", "2号楼", None),
        ("1", "1号楼", "Building 1"),  # its units all from the CSV, its English name kept
        ("G", "G", None),
    ]
    assert [u.key for u in project.building("2").units] == ["202", "203", "201"]
    assert project.building("2").unit("201").floor is None
    assert project.building("2").unit("203").kind == "shop"
    assert [(u.key, u.floor, u.kind) for u in project.building("1").units] == [
        ("101", 1, "apartment"),
        ("102", 1, "apartment"),
    ]
    assert project.building("G").unit("G01").model_dump() == {
        "key": "G01",
        "floor": -1,
        "kind": "parking",
    }


def test_csv_without_header_is_positional(tmp_path: Path) -> None:
    write(tmp_path, "units.csv", "\ufeff1,101\n1,102,1\n2,201,2,office\n")
    org = load_organisation(write(tmp_path, "organisation.toml", project_toml()))
    building = org.project("p").building("2")
    assert [(u.key, u.floor, u.kind) for u in building.units] == [("201", 2, "office")]
    assert len(org.project("p").building("1").units) == 2


def test_csv_header_may_reorder_and_omit_columns(tmp_path: Path) -> None:
    write(tmp_path, "units.csv", "unit,building\n101,1\n")
    org = load_organisation(write(tmp_path, "organisation.toml", project_toml()))
    assert org.project("p").building("1").unit("101").floor is None


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("building,unit,colour\n1,101,red\n", 1, "bad header"),
        ("building,unit\n", None, "lists no units"),
        ("building,unit\n1,10 1\n", 2, 'invalid building/unit key "10 1"'),
        # a quoted cell spanning two lines: later rows still get the right line
        ('building,unit\n"1\n",100\n1,101\n1,101\n', 5, "already listed on line 4"),
    ],
)
def test_bad_csv(tmp_path: Path, content: str, line: int | None, fragment: str) -> None:
    csv = tmp_path / "units.csv"
    csv.write_text(content, encoding="utf-8")
    problems = check_organisation(write(tmp_path, "organisation.toml", project_toml()))
    assert [(p.file, p.line) for p in problems if fragment in p.message] == [(str(csv), line)], [
        str(p) for p in problems
    ]


def test_missing_csv(tmp_path: Path) -> None:
    toml = write(tmp_path, "organisation.toml", project_toml("nowhere/units.csv"))
    (problem,) = check_organisation(toml)
    assert problem.file == str(toml)
    assert problem.line == line_of(toml, "units_csv")
    assert problem.place == "projects[1] (p).units_csv"
    assert problem.message.startswith('cannot read units CSV "nowhere/units.csv"')


# --------------------------------------------------------------------------- direct construction


def test_direct_construction_checks_cross_references() -> None:
    hq = Hq(name="总部")
    region = Region(key="east", name="华东")
    project = Project(key="p", name="P", region="west", kind="public", ticket_prefix="P")
    expected = re.escape('projects[1] (p).region: unknown region "west"')
    with pytest.raises(ValidationError, match=expected):
        Organisation(hq=hq, regions=[region], projects=[project])
    staff = Staff(telegram_id=1, name="A", role="agent", unit="hq")
    org = Organisation(hq=hq, regions=[region], staff=[staff])
    assert org.unit_keys() == ["hq", "east"]
    assert org.sla.targets_for("complaint").resolution.total_seconds() == 48 * 3600


def test_cli_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = write(tmp_path, "organisation.toml", 'timezone = "Nowhere/City"\n[hq]\nname = "x"\n')
    assert cli_main([str(toml)]) == 1
    out = capsys.readouterr().out
    assert f'{toml}:1: timezone: unknown timezone "Nowhere/City"' in out
    assert "1 problem found" in out


@pytest.mark.parametrize("name", ["Asia/Shanghai", "UTC", "Asia/Urumqi", "Etc/GMT-8"])
def test_valid_timezones(name: str) -> None:
    assert check_timezone(name) == name


@pytest.mark.parametrize("name", ["", "Asia", "Asia/", "asia/shanghai", "../etc/x", "a" * 300])
def test_invalid_timezones(name: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        check_timezone(name)


def test_hotline_for_falls_back_to_the_company_number() -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    assert org.project("binjiang").hotline is None
    assert org.hotline_for("sunshine") == "021-6123-4567"  # the project's own number
    assert org.hotline_for("binjiang") == "400-820-1234"  # none of its own: the company's
    assert org.hotline_for(None) == "400-820-1234"  # no project known: the company's
    with pytest.raises(KeyError):
        org.hotline_for("gone")
    without = org.model_copy(update={"hotline": None})
    assert without.hotline_for("binjiang") is None and without.hotline_for("sunshine")
