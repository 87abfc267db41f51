"""The publication policy: the finest level at which each domain's scores are published.

`data/publication-policy.yaml` says, for each domain (or whole pillar), the finest level at which
its scores are published (organisation, ICB system, region or national), whether the scoring
elements an organisation has not met may be shown, and the smallest number of organisations an
aggregate may describe. Example::

    minimum_group_size: 5
    default: {finest_level: organisation, show_unmet_elements: true}
    rules:
      - domains: [sc_cyber_network_security]
        finest_level: region
        show_unmet_elements: false
        reason: Organisation-level detail would tell an attacker where a trust is weak.

A rule names `domains` or `pillars` (or both); a later rule overrides an earlier one.

`disclosure_audit` says what the build may withhold beyond the rules when the disclosure audit
(dma_publish.disclose) finds a withheld value an attacker could work back, in the order to try,
and how many audit rounds it may take::

    disclosure_audit: {withhold: [benchmark, pillar_score], max_rounds: 8}

`benchmark`: the benchmark rows whose figures pin a value; `pillar_score`: the pillar score
(with the overall and like-for-like scores it could be worked back from) of a return whose own
scores pin one. An empty list lets the build withhold nothing more: a pinned value then stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dma_publish.errors import InputError
from dma_publish.peergroups import level_ranks
from dma_publish.yamlfile import document_path, read_yaml

LEVEL_RANK = level_ranks()  # organisation 0, then each peer group type (dma_publish.peergroups)
Level = Literal[tuple(LEVEL_RANK)]  # type: ignore[valid-type]  # the levels a policy names


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Treatment(_Strict):
    """How one domain's scores are published."""

    finest_level: Level = "organisation"
    show_unmet_elements: bool = True


class Rule(Treatment):
    """A treatment applied to named domains and/or whole pillars, with the reason for it."""

    domains: list[str] = Field(default_factory=list)
    pillars: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)


Withholding = Literal["benchmark", "pillar_score"]


class DisclosureAudit(_Strict):
    """What the disclosure audit stage may withhold extra, in order, and its rounds at most."""

    withhold: list[Withholding] = Field(default_factory=lambda: ["benchmark", "pillar_score"])
    max_rounds: int = Field(default=8, ge=1, le=100)

    @field_validator("withhold")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each kind of withholding may be named once")
        return value


class PolicyFile(_Strict):
    """The policy document as written."""

    minimum_group_size: int = Field(default=5, ge=1)
    default: Treatment = Field(default_factory=Treatment)
    rules: list[Rule] = Field(default_factory=list)
    disclosure_audit: DisclosureAudit = Field(default_factory=DisclosureAudit)


@dataclass(frozen=True)
class Policy:
    """The policy resolved against the methodology: one treatment per domain and year."""

    minimum_group_size: int
    domains: pd.DataFrame  # year, domain_id, pillar_id, finest_level, show_unmet_elements, reason
    source: PolicyFile

    @property
    def disclosure_audit(self) -> DisclosureAudit:
        """What the disclosure audit stage may withhold extra."""
        return self.source.disclosure_audit

    def withheld_domains(self) -> pd.DataFrame:
        """Domain-years not published at organisation level."""
        return self.domains[self.domains["finest_level"] != "organisation"]


def read_policy(path: Path) -> PolicyFile:
    """Read and schema-check the policy file; errors name the file and the path in it."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        return PolicyFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(path, document_path(err["loc"]), err["msg"], "policy_schema") from None


def resolve_policy(
    policy: PolicyFile, domains: pd.DataFrame, path: Path | str = "policy"
) -> Policy:
    """Give every domain-year its treatment; a rule naming an unknown domain or pillar is an error."""
    known_domains = set(domains["domain_id"])
    known_pillars = set(domains["pillar_id"])
    table = domains[["year", "domain_id", "pillar_id"]].copy()
    table["finest_level"] = policy.default.finest_level
    table["show_unmet_elements"] = policy.default.show_unmet_elements
    table["reason"] = ""
    for i, rule in enumerate(policy.rules):
        if not rule.domains and not rule.pillars:
            raise InputError(
                path, f"rules[{i}]", "a rule must name domains or pillars", "policy_rule"
            )
        for j, dom in enumerate(rule.domains):
            if dom not in known_domains:
                raise InputError(
                    path, f"rules[{i}].domains[{j}]", f"unknown domain {dom!r}", "policy_rule"
                )
        for j, pil in enumerate(rule.pillars):
            if pil not in known_pillars:
                raise InputError(
                    path, f"rules[{i}].pillars[{j}]", f"unknown pillar {pil!r}", "policy_rule"
                )
        hit = table["domain_id"].isin(rule.domains) | table["pillar_id"].isin(rule.pillars)
        table.loc[hit, "finest_level"] = rule.finest_level
        table.loc[hit, "show_unmet_elements"] = rule.show_unmet_elements
        table.loc[hit, "reason"] = rule.reason
    # An organisation's unmet elements reveal its score: never show them for a withheld domain.
    table.loc[table["finest_level"] != "organisation", "show_unmet_elements"] = False
    table = table.sort_values(["year", "domain_id"]).reset_index(drop=True)
    return Policy(minimum_group_size=policy.minimum_group_size, domains=table, source=policy)


def load_policy(path: Path, domains: pd.DataFrame) -> Policy:
    """Read, check and resolve the publication policy against the methodology's domains."""
    return resolve_policy(read_policy(path), domains, path)
