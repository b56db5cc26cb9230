"""The ``warroom`` command line (click): every subcommand, and the console's slow path.

``warroom`` alone (with global options only) never comes here: the fast path
in :mod:`warroom.launch` opens the console without importing click. Both paths
open the console through :mod:`warroom.opening`; neither imports the other's
module in a cycle.
"""

from warroom.cli.commands import cli, main

__all__ = ["cli", "main"]
