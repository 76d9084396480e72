"""A one-line progress bar on standard error, redrawn in place at each percent."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    WIDTH = 30

    def __init__(self, stream: TextIO, what: str, verb: str = "rebuilding") -> None:
        self._stream = stream
        self._what = what
        self._verb = verb
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = "#" * (self.WIDTH * percent // 100)
        self._stream.write(
            f"\r{self._verb} {self._what} [{filled:<{self.WIDTH}}] {percent:3d}% ({done}/{total})"
        )
        self._stream.flush()

    def finish(self) -> None:
        self._stream.write("\n")
        self._stream.flush()
