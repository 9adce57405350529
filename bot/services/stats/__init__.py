"""Manager statistics: metrics computed in the database, rendered as text, a chart,
XLSX/CSV exports and a daily digest to each staff group.

Modules: ``periods`` (what "7d" means), ``scope`` (whose figures), ``sql`` (the
dialect-specific SQL), ``filters`` (metric conditions), ``cohorts`` / ``tickets`` /
``satisfaction`` / ``staff`` (the aggregate queries), ``report`` (all of them for
one scope and period), ``texts`` / ``chart`` / ``export`` (renderings), ``digest``
(the daily job), ``requests`` (what a manager asked for). Definitions: docs/metrics.md.
"""
