"""``python -m injectq``: check, draw and explain wiring from the command line."""

from injectq._cli import main

raise SystemExit(main())
