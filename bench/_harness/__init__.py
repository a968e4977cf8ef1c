"""What the benchmarks share: a local stack (embedded PostgreSQL, a Temporal dev server or the
time-skipping test server, migrations), workers in-process or in a process of their own, bare
baseline workflows of the same shape as SalesPad's, lead fixtures, percentiles and tables.

The scripts run as `python bench/<name>.py`, so `bench/` is on sys.path and this package is
imported as `_harness`.
"""
