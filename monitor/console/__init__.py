"""The web console: monitors, their history as charts, runs as reports, and silences.

Served by ``monitor run`` on its HTTP address; read-only unless the daemon
has a write token. Owns the WSGI application and its routes (``app``), what
each page shows as plain values, which the ``/api/`` endpoints return as
they are (``views``), the pure logic of ranges, downsampling and states
(``series``), the pages' templates (``pages``), the store-bound threads'
gate (``gate``) and silences from the web (``silencing``). It reads the store
and draws with the report's charts; it never imports the daemon, the
sources or the notifiers, and the daemon mounts it.
"""

from monitor.console.app import CSP, Console
from monitor.console.views import ConsoleMonitor

__all__ = ["CSP", "Console", "ConsoleMonitor"]
