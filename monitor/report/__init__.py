"""Reports: a comparison rendered for people and programs.

Owns the terminal table and the JSON document (``text``) and the HTML page
(``html``) of a ``Comparison``. Pure: it turns values into text and imports
nothing but the analysis it renders; no database, HTTP client or scheduler.
"""

from monitor.report.html import render_html
from monitor.report.text import render_json, render_table

__all__ = ["render_html", "render_json", "render_table"]
