"""Exit statuses of every ``monitor`` command, in one place (see the README's command table).

0: all clear. 1: findings: drift, failed checks or firing alerts (``compare``,
``check``, ``backfill``), invalid rules (``validate``). 2: bad input or a failed
run: a missing file, an unreadable source, an unreachable database. 130: stopped
by Ctrl-C. 141: whoever read stdout stopped early (``monitor history | head -1``),
128 + SIGPIPE, as a shell reports for ``git log`` in ``git log | head -1``.
"""

from typing import Final

__all__ = ["EXIT_BAD_INPUT", "EXIT_CLOSED_PIPE", "EXIT_FINDINGS", "EXIT_INTERRUPTED", "EXIT_OK"]

EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_CLOSED_PIPE: Final = 141
