"""``python -m palabre.server.cli``: the same as the ``palabre`` command."""

from __future__ import annotations

import sys

from palabre.server.cli.main import main

sys.exit(main())
