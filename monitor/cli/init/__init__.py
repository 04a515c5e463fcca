"""``monitor init``: a first monitor drafted from a look at the data.

``command`` runs it: ``sample`` reads a bounded sample of a file, files or a
table, ``monitor.rules.inference`` infers the choices, ``draft`` writes the
commented rule file, ``report`` prints what was inferred and what to type
next.
"""

from monitor.cli.init.command import cmd_init

__all__ = ["cmd_init"]
