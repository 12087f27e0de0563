"""python -m matcalc: the command line (see matcalc.cli)."""
import sys

from .cli import main

sys.exit(main())
