"""`python -m feedkit` runs the command-line interface."""

import gc

gc.disable()  # while importing too: see `cli.entry`

from feedkit.cli import entry  # noqa: E402

entry()
