"""The command line: the ``monitor`` program's parser, commands and terminal output.

Owns argument parsing (``parser``), the entry point that maps errors to exit
statuses (``app``, ``exit_status``), the commands (``commands``: validate,
profile, check, backfill, run, history, db; ``compare``; ``alerts``: silence
and alerts) and what they print (``render``). It is the top layer: it may
import every other package, and nothing imports it.
"""

from monitor.cli.app import main

__all__ = ["main"]
