"""Input errors: bad input that stops an examination (exit code 3), always naming the place."""

from __future__ import annotations


class InputError(Exception):
    """A bundle or message that cannot be examined at all.

    ``file`` is the file at fault; ``line`` and ``tag`` locate the problem inside a SWIFT
    message. ``str(err)`` reads like ``lc.txt:14: field 32B: amount "1O0,00" is not a number``.
    """

    def __init__(self, file: str, message: str, *, line: int | None = None, tag: str | None = None):
        self.file = file
        self.message = message
        self.line = line
        self.tag = tag
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f"field {self.tag}: " if self.tag else ""
        return f"{where}: {field}{self.message}"
