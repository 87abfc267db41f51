"""Errors that name where bad input is: file, location (row, column or document path) and rule."""

from __future__ import annotations

from dma_publish.vocab import cap_message


class InputError(Exception):
    """Bad input that stops the build: says which file, where in it, and what rule it breaks."""

    exit_code = 2

    def __init__(self, file: str, location: str, message: str, rule: str = "invalid_input"):
        self.file = cap_message(str(file), 300)
        self.location = cap_message(str(location), 300)
        self.message = cap_message(str(message))
        self.rule = rule
        super().__init__(f"{self.file}: {location}: {message} [{rule}]")


class ValidationFailed(Exception):
    """Raised under --strict when the validation report holds any error."""

    exit_code = 3


class PublishError(Exception):
    """The site could not be written (disk full, permissions, another build's lock): says where."""

    exit_code = 1


class PolicyUnsafe(Exception):
    """The disclosure audit found withheld values that can be worked back, and the policy does not
    let the build withhold enough more to stop it (exit 4, as `dma-publish audit`)."""

    exit_code = 4
