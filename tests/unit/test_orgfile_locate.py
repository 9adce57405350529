from bot.config.orgfile.locate import TomlLocator
from bot.config.orgfile.places import format_place

TEXT = '''\
timezone = "Asia/Shanghai"
[hq]
name = "总部"
[[projects]]
key = "a"
  [[projects.buildings]]
  key = "1"
  units = [
    "101",
    ["x"],
  ]
  [[projects.buildings]]
  key = "2"
[[projects]]
key = "b"
note = """
[[projects]]
key = "not a table"
"""
name.zh = "乙"
"quoted key" = 1
  [[projects.buildings]]  # comment after header
  key = "9"
[sla]
  [[sla.rules]]
  kind = "repair"
'''


def test_locator_finds_tables_keys_and_falls_back() -> None:
    loc = TomlLocator(TEXT)
    assert loc.line_for(("timezone",)) == 1
    assert loc.line_for(("hq", "name")) == 3
    assert loc.line_for(("hq", "key")) == 2  # missing key: the table header
    assert loc.line_for(("projects", 0)) == 4
    assert loc.line_for(("projects", 0, "buildings", 0, "key")) == 7
    assert loc.line_for(("projects", 0, "buildings", 0, "units", 1)) == 8
    assert loc.line_for(("projects", 0, "buildings", 1, "key")) == 13
    # lines inside the multi-line array / string are not headers
    assert loc.line_for(("projects", 1, "key")) == 15
    assert loc.line_for(("projects", 2)) is None
    assert loc.line_for(("projects", 1, "name", "zh")) == 20
    assert loc.line_for(("projects", 1, "quoted key")) == 21
    assert loc.line_for(("projects", 1, "buildings", 0, "key")) == 23
    assert loc.line_for(("sla", "rules", 0, "kind")) == 26
    assert loc.line_for(("sla", "first_response")) == 24
    assert loc.line_for(("nothing",)) is None


def test_format_place_is_one_based_with_item_keys() -> None:
    document = {
        "projects": [{"key": "a"}, {"key": "b", "buildings": [{"key": 1, "units": ["101"]}]}],
        "staff": [{"telegram_id": 100001}],
    }
    assert format_place(("projects", 1, "buildings", 0, "units", 0), document) == (
        "projects[2] (b).buildings[1] (1).units[1]"
    )
    assert format_place(("staff", 0, "role"), document) == "staff[1] (100001).role"
    assert format_place(("projects", 5, "key"), document) == "projects[6].key"
    assert format_place(("sla", "rules", 0), None) == "sla.rules[1]"
