"""Allow ``python -m cloudnet``."""

from cloudnet.cli import main

raise SystemExit(main())
