"""Release metadata (``data/release.yaml``): the version, status and revision log of a publication."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dma_publish.errors import InputError
from dma_publish.yamlfile import document_path, read_yaml

VERSION_PATTERN = r"^\d{4}\.\d+\.\d+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
CONTACT_PATTERN = EMAIL_PATTERN[:-1] + r"|^https://\S+$"  # an email address or a web page


ORG_CODE_PATTERN = r"^[A-Z0-9]{3,5}$"
REVISION_KINDS = ("scheduled", "correction")


class Revision(BaseModel):
    """One entry in the revision log: which version, when, what changed, and whether it was a
    scheduled release or revision (new data) or a correction (an error fixed), as the Code of
    Practice for Statistics distinguishes them. A correction may give the reason for each
    organisation whose values it changes (`reasons`, by organisation code); the note is the
    reason for every other value it changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=VERSION_PATTERN)
    date: dt.date
    note: str = Field(min_length=1)
    kind: Literal["scheduled", "correction"] = "scheduled"
    reasons: tuple[tuple[str, str], ...] = ()

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons_mapping(cls, value: object) -> object:
        """`reasons` is written as a mapping of organisation code to reason."""
        if isinstance(value, dict):
            for code, reason in value.items():
                if not isinstance(code, str) or not re.fullmatch(ORG_CODE_PATTERN, code):
                    raise ValueError(f"reasons: {code!r} is not an organisation code")
                if not isinstance(reason, str) or not reason.strip():
                    raise ValueError(f"reasons: {code}: give the reason as text")
            return tuple(sorted(value.items()))
        raise ValueError("reasons: expected a mapping of organisation code to reason")

    def reason_for(self, org_code: str | None) -> str:
        """Why this version changed a value of org_code (the note, unless it names a reason)."""
        return dict(self.reasons).get(org_code or "", self.note)


class Release(BaseModel):
    """What is being published: version, dates, status, scope, who publishes it, and its history."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=VERSION_PATTERN)
    release_date: dt.date
    status: Literal["provisional", "final"]
    reporting_period: str = Field(min_length=1)
    years: tuple[int, ...] = Field(min_length=1)
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    contact: str = Field(pattern=CONTACT_PATTERN)
    licence: str = Field(min_length=1)
    revisions: tuple[Revision, ...] = Field(min_length=1)

    @field_validator("years")
    @classmethod
    def _years_ascending(cls, years: tuple[int, ...]) -> tuple[int, ...]:
        """Years must be distinct and ascending, so 'previous year' is unambiguous."""
        if list(years) != sorted(set(years)):
            raise ValueError("years must be distinct and in ascending order")
        return years

    @model_validator(mode="after")
    def _revisions_consistent(self) -> Release:
        """The log runs oldest first, versions never repeat, and it ends with this release."""
        versions = [r.version for r in self.revisions]
        if len(set(versions)) != len(versions):
            raise ValueError("revisions: a version is listed twice")
        dates = [r.date for r in self.revisions]
        if dates != sorted(dates):
            raise ValueError("revisions: must be in date order, oldest first")
        latest = self.revisions[-1]
        if latest.version != self.version or latest.date != self.release_date:
            raise ValueError(
                f"revisions: the last entry must be this release ({self.version}, {self.release_date})"
            )
        return self

    @property
    def latest_year(self) -> int:
        """The most recent assessment year this release covers."""
        return self.years[-1]


def load_release(path: str | Path) -> Release:
    """Read and validate release.yaml, raising InputError that names the field at fault."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            str(path), "document", "expected a mapping of release fields", "invalid_release"
        )
    try:
        return Release.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            str(path), document_path(first["loc"]), first["msg"], "invalid_release"
        ) from None
