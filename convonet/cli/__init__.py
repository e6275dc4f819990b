"""The ``convonet`` command line: one module per command family, joined in :mod:`.root`."""

from convonet.cli.root import main

__all__ = ["main"]
