"""The ``palabre`` command: one module per command group, each adding its parser and running
its commands against the services the composition root opens (``server/bootstrap.py``);
``main`` dispatches. Each command prints its result alone on its last line; errors go to
standard error with exit status 2."""

from __future__ import annotations

from palabre.server.cli.main import main

__all__ = ["main"]
