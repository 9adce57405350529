"""The shipped deployment files and docs/deploy.md agree with the code.

A renamed setting, subcommand, webhook path or metric makes the operator's guide and
the files in ``deploy/`` wrong without anyone noticing; these tests notice.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.cli.main import build_parser
from bot.app.observability.metrics import Metrics
from bot.config.settings import Settings

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
UNIT = ROOT / "deploy" / "systemd" / "resident-bot@.service"
ENV_EXAMPLE = ROOT / "deploy" / "systemd" / "resident-bot.env.example"
NGINX = ROOT / "deploy" / "nginx" / "resident-bot.conf"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"


def _subcommands() -> set[str]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    assert action.choices is not None
    return set(action.choices)


def _is_setting(name: str) -> bool:
    return name.lower() in Settings.model_fields


def _unit() -> dict[str, list[str]]:
    """The unit's ``Key=value`` lines (a key may repeat)."""
    keys: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            keys.setdefault(key, []).append(value)
    return keys


def _env_example_names() -> list[str]:
    """Every variable the example sets or shows commented out (``# NAME=value``)."""
    found = re.findall(
        r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE
    )
    return found


def _guide_setting_names() -> set[str]:
    """Names the guide writes as settings: code spans that are or begin with ``NAME`` or
    ``NAME=…``, and ``NAME=…`` lines of its code blocks (every setting has an ``_``)."""
    text = GUIDE.read_text(encoding="utf-8")
    setting = r"[A-Z][A-Z0-9]*_[A-Z0-9_]+"
    names = set(re.findall(rf"`({setting})(?:=[^`]*)?`", text))
    names |= set(re.findall(rf"^({setting})=", text, re.MULTILINE))
    return names


def test_every_setting_the_guide_names_exists() -> None:
    names = _guide_setting_names()
    # The guide does talk about the settings a deployment needs.
    assert {"BOT_TOKEN", "DATABASE_URL", "DATA_ENCRYPTION_KEY", "WEBHOOK_URL"} <= names
    unknown = sorted(n for n in names if not _is_setting(n))
    assert not unknown, f"docs/deploy.md names settings that Settings lacks: {unknown}"


def test_env_example_sets_only_real_settings_and_parses() -> None:
    names = _env_example_names()
    unknown = [n for n in names if not _is_setting(n)]
    assert not unknown, f"resident-bot.env.example sets unknown settings: {unknown}"
    assert len(names) == len(set(names)), "a variable is set twice"
    # The port comes from the unit's name: the environment file would override it
    # (EnvironmentFile= wins over Environment=), putting every instance on one port.
    assert "WEBHOOK_PORT" not in names and "HEALTH_PORT" not in names
    # Every value that is filled in is one Settings accepts (BOT_TOKEN, the key and the
    # secret are left empty for the operator: empty is not validated as a secret here).
    filled = {
        key: value
        for key, value in re.findall(
            r"^([A-Z][A-Z0-9_]*)=(.+)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE
        )
    }
    settings = Settings.model_validate({k.lower(): v for k, v in filled.items()})
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert not settings.is_sqlite


def test_unit_runs_an_existing_subcommand_with_its_port() -> None:
    unit = _unit()
    (exec_start,) = unit["ExecStart"]
    words = exec_start.split()
    script = next(i for i, w in enumerate(words) if w.endswith("/resident-bot"))
    subcommand = words[script + 1]
    assert subcommand in _subcommands(), f"resident-bot has no {subcommand!r} command"
    assert subcommand == "webhook"
    # The instance name is the port, given to the process as WEBHOOK_PORT.
    assert "WEBHOOK_PORT=%i" in words[:script]
    assert unit["EnvironmentFile"] == ["/etc/resident-bot/resident-bot.env"]
    assert unit["User"] and unit["User"] != ["root"]
    assert unit["Restart"] == ["on-failure"]
    # The CLI exits 2 for wrong settings, token or key: restarting cannot help.
    assert unit["RestartPreventExitStatus"] == ["2"]


def test_unit_is_hardened_but_can_write_its_state() -> None:
    unit = _unit()
    for key, value in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
    ):
        assert unit.get(key) == [value], key
    writable = " ".join(unit["ReadWritePaths"]).split()
    (workdir,) = unit["WorkingDirectory"]
    assert workdir in writable
    # SQLite's default database lives under the working directory (data/...).
    assert not Path(Settings.model_fields["database_url"].default.split("///")[1]).is_absolute()
    # matplotlib's cache must be somewhere writable under ProtectSystem=strict.
    caches = [v.split("=", 1)[1] for v in unit.get("Environment", []) if v.startswith("MPL")]
    assert all(any(c.startswith(w) for w in writable) for c in caches)


def _nginx_locations() -> dict[str, str]:
    """``location`` selector -> its block's body (blocks nested one level at most)."""
    text = re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))
    locations: dict[str, str] = {}
    for match in re.finditer(r"location\s+([^{]+?)\s*\{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        locations[match.group(1).strip()] = text[match.end() : i - 1]
    return locations


def _nginx_upstream_ports() -> list[int]:
    text = NGINX.read_text(encoding="utf-8")
    (block,) = re.findall(r"upstream\s+resident_bot\s*\{([^}]*)\}", text)
    return [int(p) for p in re.findall(r"^\s*server\s+127\.0\.0\.1:(\d+)", block, re.MULTILINE)]


def test_nginx_exposes_the_webhook_path_and_healthz_only() -> None:
    locations = _nginx_locations()
    webhook_path = Settings.model_fields["webhook_path"].default
    proxied = {sel for sel, body in locations.items() if "proxy_pass" in body}
    assert proxied == {f"= {webhook_path}", "= /healthz"}
    for selector in proxied:
        assert "proxy_pass http://resident_bot;" in locations[selector]
    # Everything else is refused, /metrics included.
    assert "return 404" in locations["/"]
    assert not any("metrics" in selector for selector in locations)
    assert re.search(r"client_max_body_size\s+1m;", NGINX.read_text(encoding="utf-8"))


def test_instances_use_the_same_ports_everywhere() -> None:
    ports = _nginx_upstream_ports()
    assert len(ports) >= 2 and len(set(ports)) == len(ports)
    assert Settings.model_fields["webhook_port"].default in ports
    guide = GUIDE.read_text(encoding="utf-8")
    enabled = re.findall(r"enable --now ((?:resident-bot@\d+ ?)+)", guide)
    assert enabled
    for line in enabled:
        assert sorted(int(p) for p in re.findall(r"@(\d+)", line)) == sorted(ports)
    # Prometheus scrapes /metrics of each instance and probes each /healthz.
    alerts = ALERTS.read_text(encoding="utf-8")
    scraped = re.findall(r'targets: \["127\.0\.0\.1:(\d+)", "127\.0\.0\.1:(\d+)"\]', alerts)
    probed = re.findall(r'"http://127\.0\.0\.1:(\d+)/healthz"', alerts)
    assert len(scraped) == 1
    assert sorted(int(p) for p in scraped[0]) == sorted(ports)
    assert sorted(int(p) for p in probed) == sorted(ports)


def _alert_rules() -> list[dict[str, str]]:
    """Each rule's top-level fields (``alert``, ``expr``, ``for``…) and its labels and
    annotations as ``labels.x`` / ``annotations.x``, read by indentation (no YAML parser
    is a dependency)."""
    text = ALERTS.read_text(encoding="utf-8")
    assert "\t" not in text, "YAML forbids tabs for indentation"
    rules: list[dict[str, str]] = []
    section = ""
    current: dict[str, str] | None = None
    field_indent = 0
    last_key = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        match = re.match(r"\s*- alert: (\S+)$", line)
        if match:
            current = {"alert": match.group(1)}
            rules.append(current)
            field_indent = indent + 2
            continue
        if current is None:
            continue
        key_match = re.match(r"\s*([a-z_]+):\s?(.*)$", line)
        if indent == field_indent and key_match:
            section = key_match.group(1)
            last_key = section
            current[section] = key_match.group(2)
        elif indent > field_indent and key_match and section in ("labels", "annotations"):
            last_key = f"{section}.{key_match.group(1)}"
            current[last_key] = key_match.group(2)
        elif indent > field_indent:
            current[last_key] += " " + line.strip()  # a folded expression's next line
        elif indent < field_indent:
            current = None
    return rules


def test_alert_rules_are_complete() -> None:
    text = ALERTS.read_text(encoding="utf-8")
    assert re.match(r"(#[^\n]*\n)*groups:\n  - name: \S+\n    rules:\n", text)
    rules = _alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) >= 8 and len(set(names)) == len(names)
    for rule in rules:
        assert rule.get("expr", "").strip(">| "), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "")), rule["alert"]
        assert rule.get("labels.severity") in ("page", "ticket"), rule["alert"]
        assert rule.get("annotations.summary"), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    # The guide's alert table names exactly the shipped alerts.
    guide = GUIDE.read_text(encoding="utf-8")
    assert set(re.findall(r"`(ResidentBot\w+)`", guide)) == set(names)


def _defined_metrics() -> set[str]:
    """The series names the bot exports, from a fresh application's registry."""
    series: set[str] = set()
    for family in Metrics().registry.collect():
        if family.type == "counter":
            series.add(f"{family.name}_total")
        elif family.type == "histogram":
            series |= {f"{family.name}{end}" for end in ("_bucket", "_sum", "_count", "")}
        else:
            series.add(family.name)
    return series


def test_alerts_and_guide_use_metrics_the_bot_exports() -> None:
    defined = _defined_metrics()
    assert "resident_bot_outbox_pending" in defined  # the parsing found the definitions
    used_in_alerts = set(re.findall(r"\bresident_bot_\w+", ALERTS.read_text(encoding="utf-8")))
    assert used_in_alerts and used_in_alerts <= defined, sorted(used_in_alerts - defined)
    used_in_guide = set(re.findall(r"\bresident_bot_\w+", GUIDE.read_text(encoding="utf-8")))
    assert used_in_guide <= defined | {"resident_bot"}, sorted(used_in_guide - defined)
    # The guide's metric table lists every metric the bot exports.
    assert {n for n in defined if not n.endswith(("_bucket", "_sum", "_count"))} <= used_in_guide


def test_guide_commands_exist() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    # "resident-bot migrate", not "sudo -u resident-bot sh" or "resident-bot.conf".
    used = set(re.findall(r"(?<!-[ugo] )\bresident-bot ([a-z][a-z-]+)(?=[\s`]|$)", guide))
    assert {"webhook", "migrate", "check-config"} <= used
    assert used <= _subcommands(), sorted(used - _subcommands())


def test_readme_links_the_guide() -> None:
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
