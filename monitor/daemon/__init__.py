"""The service: windows run end to end, on a schedule, watched over HTTP.

Owns the runner (one window of one monitor: reference → source → analysis →
alerts → store, exactly once; ``runner``, with its read step in ``collect``
and its reference profiles in ``references``), the scheduler that runs every
monitor's due windows and reloads the rules (``scheduler``), the HTTP server
with ``/healthz``, ``/readyz``, ``/status`` and ``/metrics`` (``server``,
``status``, ``metrics``) and the logging set-up every command shares
(``logs``). ``monitor check`` and ``monitor backfill`` use the runner without
the scheduler.

It is where the pure core meets I/O: it may import every package below it
(analysis, alerts, sources, store, rules, profiles, stats); only ``monitor.cli``
imports it. This face imports nothing, so that loading the runner or the
logging set-up does not load APScheduler.
"""
