"""`python -m blok`: the same as the `blok` command."""

import sys

from blok.cli import main

sys.exit(main())
