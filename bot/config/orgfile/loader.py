"""Load and check the organisation file.

``check_organisation`` reports *all* problems in one run:

1. the file cannot be read / is not UTF-8 / has a TOML syntax error (these stop
   the check: there is nothing to validate);
2. field errors: every top-level key is validated on its own, and every item of
   a list of tables (``[[projects]]``, ``[[staff]]``, ...) on its own, so one bad
   project does not hide problems in the others;
3. units CSV files (missing/unreadable file, bad rows with their CSV line,
   units listed twice in a building);
4. cross references (unknown region/unit/category, duplicate keys, ticket
   prefixes and Telegram ids). Items that failed step 2 are skipped here, and
   references to them are not reported again.

Line numbers in the TOML file are a best-effort search (see ``locate.py``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from .checks import cross_reference_findings
from .locate import TomlLocator
from .models import Organisation
from .places import KeyPath, format_place
from .problems import OrgFileError, Problem
from .units_csv import CsvUnitsError, merge_buildings, read_units_csv

__all__ = ["EXAMPLE_ORGANISATION_PATH", "check_organisation", "load_organisation"]

EXAMPLE_ORGANISATION_PATH = Path(__file__).resolve().parents[2] / "examples" / "organisation.toml"
"""The shipped, commented example; also the default configuration."""

_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)\s*$")
_SCALARS = (str, int, float, bool)


def check_organisation(path: str | PathLike[str]) -> list[Problem]:
    """Every problem in the organisation file at ``path`` (empty list = valid)."""
    problems, _ = _Loader(Path(path)).run()
    return problems


def load_organisation(path: str | PathLike[str]) -> Organisation:
    """Load the organisation file; raise OrgFileError listing all problems."""
    problems, organisation = _Loader(Path(path)).run()
    if problems or organisation is None:
        raise OrgFileError(problems, str(path))
    return organisation


# --------------------------------------------------------------------------- helpers


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] from a type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _list_item_model(field: FieldInfo) -> type[BaseModel] | None:
    annotation = _unwrap(field.annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        item = _unwrap(item)
        if _is_model(item):
            return item
    return None


def _model_at(loc: KeyPath) -> type[BaseModel] | None:
    """The model class describing the table at ``loc`` (for "allowed keys")."""
    current: Any = Organisation
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif _is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if _is_model(current) else None


def _validate_field(field: FieldInfo, value: Any) -> Any:
    annotation = field.annotation
    if _is_model(annotation) and not field.metadata:
        return annotation.model_validate(value)
    adapter: TypeAdapter[Any] = TypeAdapter(
        Annotated[(annotation, *field.metadata)] if field.metadata else annotation,
        config=ConfigDict(strict=True),
    )
    return adapter.validate_python(value)


def _partial(model: type[BaseModel], value: Any) -> BaseModel | None:
    """A model holding only the fields of ``value`` that are valid on their own.

    Built with ``model_construct`` (no model validators run; fields that failed
    are absent or take their defaults). Used only for cross-reference checks of
    items that have errors, so that problems elsewhere are still reported.
    """
    if not isinstance(value, dict):
        return None
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name not in value:
            continue
        item_model = _list_item_model(field)
        if item_model is not None and isinstance(value[name], list):
            items: list[BaseModel | None] = []
            for item in value[name]:
                try:
                    items.append(item_model.model_validate(item))
                except ValidationError:
                    items.append(_partial(item_model, item))
            fields[name] = items
            continue
        try:
            fields[name] = _validate_field(field, value[name])
        except ValidationError:
            nested = _unwrap(field.annotation)
            if _is_model(nested):
                fields[name] = _partial(nested, value[name])
    return model.model_construct(**fields)


def _raw_key(model: type[BaseModel] | None, value: Any) -> str | None:
    """The ``key`` of an item that failed validation, if it has a usable one."""
    if not isinstance(value, dict):
        return None
    key = value.get("key")
    if key is None and model is not None and "key" in model.model_fields:
        key = model.model_fields["key"].default
    return key if isinstance(key, str) else None


# --------------------------------------------------------------------------- loader


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = []
        self.raw: dict[str, Any] = {}
        self.locator: TomlLocator | None = None
        self.invalid_keys: dict[str, list[str]] = {}

    # -- reporting -----------------------------------------------------------------

    def report(
        self,
        path: KeyPath,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        if file is None and line is None and self.locator is not None:
            line = self.locator.line_for(path)
        place = format_place(path, self.raw)
        self.problems.append(Problem(place, message, line, column, file or self.file))

    def report_validation(self, prefix: KeyPath, error: ValidationError) -> None:
        for detail in error.errors(include_url=False):
            loc: KeyPath = (*prefix, *detail["loc"])
            self.report(loc, self._message(detail, loc))

    def _message(self, detail: Any, loc: KeyPath) -> str:
        kind = detail["type"]
        if kind == "missing":
            return "required key is missing"
        if kind == "extra_forbidden":
            return self._unknown_key_message(loc)
        message = str(detail["msg"])
        if kind in ("value_error", "assertion_error"):
            return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        value = detail.get("input")
        if isinstance(value, _SCALARS):
            shown = f'"{value}"' if isinstance(value, str) else repr(value).lower()
            message += f", got {shown}"
        return message

    @staticmethod
    def _unknown_key_message(loc: KeyPath) -> str:
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        if model is None:
            return f'unknown key "{key}"'
        allowed = list(model.model_fields)
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            return f'unknown key "{key}" (did you mean "{close[0]}"?)'
        return f'unknown key "{key}" (allowed here: {", ".join(allowed)})'

    # -- steps ---------------------------------------------------------------------

    def run(self) -> tuple[list[Problem], Organisation | None]:
        text = self._read()
        if text is None:
            return self.problems, None
        try:
            self.raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._syntax_error(exc, text)
            return self.problems, None
        self.locator = TomlLocator(text)

        valid, partial = self._validate_fields()
        self._merge_units_csv(valid, partial)
        self._cross_check(partial)

        organisation = None
        if not self.problems:
            try:
                organisation = Organisation.model_validate(valid)
            except ValidationError as exc:  # safety net; the steps above should catch all
                self.report_validation((), exc)
        return self._sorted(), organisation

    def _read(self) -> str | None:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            self.problems.append(
                Problem("", f"cannot read file: {exc.strerror or exc}", file=self.file)
            )
            return None
        try:
            return data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.problems.append(
                Problem("", "file is not valid UTF-8 text", line=line, file=self.file)
            )
            return None

    def _syntax_error(self, exc: tomllib.TOMLDecodeError, text: str) -> None:
        message = str(exc)
        line = column = None
        position = _TOML_POSITION_RE.search(message)
        if position is not None:
            line, column = int(position[1]), int(position[2])
            message = message[: position.start()]
        elif (end := _TOML_END_RE.search(message)) is not None:
            line = max(1, len(text.splitlines()))
            message = message[: end.start()] + " at end of file"
        self.problems.append(Problem("", f"TOML syntax error: {message}", line, column, self.file))

    def _validate_fields(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate each top-level key and each list item on its own.

        Returns ``(valid, partial)``: ``valid`` holds fully validated values (``None``
        inside lists for items with errors); ``partial`` additionally holds partial
        models for those items, for the cross-reference checks.
        """
        fields = Organisation.model_fields
        for name in self.raw:
            if name not in fields:
                self.report((name,), self._unknown_key_message((name,)))
        valid: dict[str, Any] = {}
        partial: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in self.raw:
                if field.is_required():
                    what = f"table [{name}]" if _is_model(field.annotation) else f'key "{name}"'
                    self.report((name,), f"required {what} is missing")
                continue
            value = self.raw[name]
            item_model = _list_item_model(field)
            if item_model is not None and isinstance(value, list):
                valid[name], partial[name] = [], []
                for index, item in enumerate(value):
                    try:
                        validated = item_model.model_validate(item)
                    except ValidationError as exc:
                        self.report_validation((name, index), exc)
                        self._remember_invalid(name, item_model, item)
                        valid[name].append(None)
                        partial[name].append(_partial(item_model, item))
                    else:
                        valid[name].append(validated)
                        partial[name].append(validated)
                continue
            try:
                valid[name] = partial[name] = _validate_field(field, value)
            except ValidationError as exc:
                self.report_validation((name,), exc)
                model = _unwrap(field.annotation)
                model = model if _is_model(model) else None
                self._remember_invalid(name, model, value)
                valid[name] = None
                partial[name] = _partial(model, value) if model is not None else None
        return valid, partial

    def _remember_invalid(self, section: str, model: type[BaseModel] | None, value: Any) -> None:
        key = _raw_key(model, value)
        if key is not None:
            self.invalid_keys.setdefault(section, []).append(key)

    def _merge_units_csv(self, valid: dict[str, Any], partial: dict[str, Any]) -> None:
        """Read each project's units CSV; merge it into valid projects' buildings."""
        for index, project in enumerate(partial.get("projects") or []):
            units_csv = getattr(project, "units_csv", None)
            if units_csv is None:
                continue
            place: KeyPath = ("projects", index, "units_csv")
            csv_path = Path(units_csv)
            if not csv_path.is_absolute():
                csv_path = self.path.parent / csv_path
            try:
                units, row_problems = read_units_csv(csv_path)
            except CsvUnitsError as exc:
                self.report(place, f'cannot read units CSV "{units_csv}" ({csv_path}): {exc}')
                continue
            for row_problem in row_problems:
                self.report(place, row_problem.message, file=str(csv_path), line=row_problem.line)
            inline = getattr(project, "buildings", None) or []
            buildings, duplicates = merge_buildings(inline, units)
            for duplicate in duplicates:
                self.report(
                    place, duplicate.message, file=str(csv_path), line=duplicate.csv_unit.line
                )
            if valid["projects"][index] is None:
                continue  # the project itself has errors: keep the partial model as is
            merged = project.model_copy(update={"buildings": buildings})
            valid["projects"][index] = partial["projects"][index] = merged

    def _cross_check(self, partial: dict[str, Any]) -> None:
        sla = partial.get("sla")
        findings = cross_reference_findings(
            hq=partial.get("hq"),
            regions=partial.get("regions") or [],
            projects=partial.get("projects") or [],
            staff=partial.get("staff") or [],
            categories=partial.get("categories") or [],
            sla_rules=list(getattr(sla, "rules", None) or []),
            invalid_keys=self.invalid_keys,
            sla_calendars=getattr(sla, "calendars", None) or {},
        )
        for path, message in findings:
            self.report(path, message)

    def _sorted(self) -> list[Problem]:
        def order(problem: Problem) -> tuple[bool, str, bool, int]:
            return (
                problem.file != self.file,
                problem.file or "",
                problem.line is None,
                problem.line or 0,
            )

        return sorted(self.problems, key=order)
