"""Helpers shared by the test modules; the fixtures that use them are in the conftest files.

- ``apps``: the app under test (``make_app``), its clients, the test password.
- ``db``: the test databases (one PostgreSQL database per xdist worker) and what
  tests read from them (``on_hand``, ``row_count``, ``counts``).
- ``pages``: signing in and reading pages through the Flask test client.
- ``api``: the JSON API's client (``Api``), ``assert_problem``, ``snapshot``, the bad
  tokens and the tables of who may call each route.
- ``browser``: Chromium's settings and the Playwright helpers of the browser tier.
- ``threads``: ``run_threads``, many threads calling services at once, for the
  concurrency tests.

No test module imports from another test module: what two of them share is here.
"""
