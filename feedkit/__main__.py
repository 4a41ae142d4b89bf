"""`python -m feedkit` runs the command-line interface."""

from feedkit.cli import entry

entry()
