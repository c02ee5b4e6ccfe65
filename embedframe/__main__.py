"""Run the command line with ``python -m embedframe``."""

from embedframe.cli import main

raise SystemExit(main())
