"""Manager statistics: metrics computed in the database, returned as plain figures.

Modules: ``periods`` (what "7d" means), ``scope`` (whose figures, and the refusals),
``sql`` (the dialect-specific SQL), ``filters`` (metric conditions), ``cohorts`` /
``tickets`` / ``satisfaction`` / ``staff`` (the aggregate queries), ``report`` (all of
them for one scope and period), ``rows`` (the tickets of an export), ``digest`` (the
daily digest's figures, announced to each staff group), ``requests`` (what a manager
asked for). Rendering lives in ``bot.presentation.stats``. Definitions: docs/metrics.md.
"""
