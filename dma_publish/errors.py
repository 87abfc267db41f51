"""Errors that name where bad input is: file, location (row, column or document path) and rule."""

from __future__ import annotations


class InputError(Exception):
    """Bad input that stops the build: says which file, where in it, and what rule it breaks."""

    exit_code = 2

    def __init__(self, file: str, location: str, message: str, rule: str = "invalid_input"):
        self.file = str(file)
        self.location = location
        self.message = message
        self.rule = rule
        super().__init__(f"{self.file}: {location}: {message} [{rule}]")


class ValidationFailed(Exception):
    """Raised under --strict when the validation report holds any error."""

    exit_code = 3
