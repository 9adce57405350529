"""The SQL that differs between SQLite and PostgreSQL, chosen in this one place.

- elapsed seconds between two timestamps (``extract(epoch …)`` vs ``julianday``);
- the local day a timestamp falls on, as an index into a period;
- percentiles with ``percentile_cont`` semantics (linear interpolation between the
  two nearest ranks): PostgreSQL computes them itself; on SQLite the rows are
  ranked with window functions and only the (at most two) rows around each rank
  come back, so the interpolation is done on a handful of values in Python.

Timestamps are stored as naive UTC on both databases (``storage.types.UtcDateTime``).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import KeyedColumnElement

from storage.types import UtcDateTime

# Percentiles as exact fractions (per cent), so both databases pick the same ranks.
MEDIAN = 50
P90 = 90
SECONDS_PER_DAY = 86_400


def at(moment: datetime) -> ColumnElement[datetime]:
    """A timestamp parameter stored the way the columns are (naive UTC)."""
    return literal(moment, UtcDateTime())


@dataclass(frozen=True)
class Sql:
    dialect: str

    @classmethod
    def of(cls, session: AsyncSession) -> Sql:
        return cls(session.get_bind().dialect.name)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        """``later - earlier`` in seconds."""
        if self.is_postgres:
            return cast(func.extract("epoch", later - earlier), Float)
        return func.round((func.julianday(later) - func.julianday(earlier)) * SECONDS_PER_DAY, 3)

    def day_index(self, column: Any, midnights: Sequence[datetime]) -> ColumnElement[int]:
        """Which local day of a period ``column`` falls on (0 = the first day).

        ``midnights`` are the period's local midnights in UTC. When every day is
        24 hours long the index is arithmetic; across a daylight-saving change the
        boundaries are compared one by one.
        """
        lengths = {b - a for a, b in itertools.pairwise(midnights)}
        if lengths == {timedelta(days=1)}:
            seconds = self.seconds(column, at(midnights[0]))
            if self.is_postgres:
                return cast(func.floor(seconds / SECONDS_PER_DAY), Integer)
            return cast(seconds / SECONDS_PER_DAY, Integer)  # truncation = floor here (≥ 0)
        whens = [(column < at(bound), index) for index, bound in enumerate(midnights[1:])]
        return case(*whens, else_=len(midnights) - 1)

    async def percentiles(
        self,
        session: AsyncSession,
        value: ColumnElement[float],
        *,
        where: Sequence[ColumnElement[bool]],
        groupings: Mapping[str, KeyedColumnElement[Any] | None],
        percents: Sequence[int] = (MEDIAN, P90),
    ) -> dict[str, dict[Hashable, Percentiles]]:
        """Percentiles of ``value`` over the rows matching ``where``, for each grouping.

        ``groupings`` names the breakdowns wanted, e.g. ``{"all": None, "staff":
        Ticket.assignee_id}``; the answer is ``{name: {group value: Percentiles}}``
        (key ``None`` for an ungrouped one); groups without rows are absent.
        ``where`` must exclude rows whose value is NULL (a range on the column does).
        """
        if self.is_postgres:
            return {
                name: await self._percentiles_postgres(session, value, where, group, percents)
                for name, group in groupings.items()
            }
        return await self._percentiles_ranked(session, value, where, groupings, percents)

    async def _percentiles_postgres(self, session, value, where, group, percents):
        columns = [func.count().label("n")] + [
            func.percentile_cont(p / 100).within_group(value.asc()).label(f"p{p}") for p in percents
        ]
        statement = select(*([group] if group is not None else []), *columns).where(*where)
        if group is not None:
            statement = statement.group_by(group)
        result: dict[Hashable, Percentiles] = {}
        for row in (await session.execute(statement)).all():
            if not row.n:  # an ungrouped aggregate over no rows still returns a row
                continue
            key = row[0] if group is not None else None
            values = {p: float(getattr(row, f"p{p}")) for p in percents}
            result[key] = Percentiles(count=row.n, values=values)
        return result

    async def _percentiles_ranked(self, session, value, where, groupings, percents):
        # One statement: the value is computed once per row (a materialised CTE), then
        # ranked within each grouping; only the rows next to each rank come back.
        names = list(groupings)
        keyed = {name: group for name, group in groupings.items() if group is not None}
        values = (
            select(
                value.label("v"),
                *(group.label(f"g{names.index(name)}") for name, group in keyed.items()),
            )
            .where(*where)
            .cte("stat_values")
            .prefix_with("MATERIALIZED")
        )
        arms = []
        for index, name in enumerate(names):
            group = values.c[f"g{index}"] if name in keyed else None
            partition: dict[str, Any] = {"partition_by": group} if group is not None else {}
            arms.append(
                select(
                    literal(index).label("grouping"),
                    (group if group is not None else literal(None)).label("g"),
                    values.c.v,
                    func.row_number().over(order_by=values.c.v, **partition).label("rn"),
                    func.count().over(**partition).label("n"),
                )
            )
        ranked = (arms[0] if len(arms) == 1 else union_all(*arms)).subquery()
        # Rank (1-based) below each percentile: 1 + floor(p * (n - 1) / 100).
        lows = [(ranked.c.n - 1) * p // 100 + 1 for p in percents]
        wanted = or_(
            *[ranked.c.rn == low for low in lows], *[ranked.c.rn == low + 1 for low in lows]
        )
        statement = select(
            ranked.c.grouping, ranked.c.g, ranked.c.n, ranked.c.rn, ranked.c.v
        ).where(wanted)
        found: dict[tuple[int, Hashable], tuple[int, dict[int, float]]] = {}
        for grouping, g, n, rn, v in (await session.execute(statement)).all():
            found.setdefault((grouping, g), (n, {}))[1][rn] = float(v)
        result: dict[str, dict[Hashable, Percentiles]] = {name: {} for name in names}
        for (grouping, key), (n, ranks) in found.items():
            interpolated = {}
            for p in percents:
                low, remainder = divmod((n - 1) * p, 100)
                below = ranks[low + 1]
                above = ranks.get(low + 2, below)
                interpolated[p] = below + (above - below) * remainder / 100
            result[names[grouping]][key] = Percentiles(count=n, values=interpolated)
        return result


@dataclass(frozen=True)
class Percentiles:
    count: int
    values: dict[int, float]

    @property
    def median(self) -> float | None:
        return self.values.get(MEDIAN)

    @property
    def p90(self) -> float | None:
        return self.values.get(P90)
