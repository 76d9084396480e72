"""Shapes named once, for every package: ``Json`` is a JSON object as Python holds it."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
