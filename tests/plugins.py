"""A third-party source plugin installed for real: a module and its dist-info on the path.

``install_boom_plugin(folder)`` writes a package ``boom_source`` whose source
``type: boom`` raises the exception its rule block names, and the
``entry_points.txt`` that registers it, as ``pip install`` would; put the
folder on ``sys.path`` (in process) or ``PYTHONPATH`` (subprocesses).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor import plugins

BOOM_SOURCE = '''
"""A source that fails the way a buggy plugin does."""

from monitor.sources.base import Source, SourceConfig


class BoomSource(Source):
    class Config(SourceConfig):
        error: str = "RuntimeError"
        message: str = "boom"

    def read(self, start=None, end=None):
        import builtins
        raise getattr(builtins, self.config.error)(self.config.message)
        yield  # a generator, as sources are
'''


def install_boom_plugin(folder: Path) -> Path:
    """Write the plugin into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boom_source.py").write_text(BOOM_SOURCE)
    info = folder / "boom_source-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: boom-source\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[monitor.sources]\nboom = boom_source:BoomSource\n")
    return folder


@contextmanager
def boom_plugin_on_path(folder: Path) -> Iterator[Path]:
    """The plugin importable in this process for the duration of the block."""
    install_boom_plugin(folder)
    sys.path.insert(0, str(folder))
    plugins._cache.pop((plugins.SOURCES, "boom"), None)
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("boom_source", None)
        plugins._cache.pop((plugins.SOURCES, "boom"), None)
