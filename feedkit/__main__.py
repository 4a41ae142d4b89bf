"""`python -m feedkit` runs the command-line interface."""

import sys

from feedkit.cli import main

sys.exit(main())
