"""`python -m wstal` = the `wstal` command."""

import sys

from wstal.cli import main

sys.exit(main())
