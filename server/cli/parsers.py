"""The one shape every command module adds its parsers to."""

from __future__ import annotations

import argparse
from typing import TypeAlias

# A string at run time: argparse's class is not subscriptable before Python 3.12's typeshed.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
