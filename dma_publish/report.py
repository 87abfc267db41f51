"""The terminal report of a build: what was read, reconciled, withheld and changed, and the
validation report file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.publication import Publication


def write_validation_report(issues: pd.DataFrame, path: Path) -> None:
    """Write the validation report CSV (UTF-8, one row per problem, in file and line order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    issues.to_csv(path, index=False, lineterminator="\n")


def format_inputs(pub: Publication) -> str:
    """Counts of what was read, for the terminal."""
    m, ref, v = pub.methodology, pub.reference, pub.validated
    orgs = ref.organisations
    if pub.provenance is not None:
        prov = pub.provenance
        return "\n".join([
            f"release {pub.release.version} ({pub.release.status}), inputs sha256 {pub.inputs_hash[:12]}",
            f"published scores: {prov['file_name']} (sha256 {prov['sha256'][:12]}), "
            f"{len(pub.scores.pillar_scores)} pillar scores, {len(pub.scores.overall_scores)} overall scores",
            f"reference: {int((orgs['org_type'] == 'trust').sum())} trusts, "
            f"{int((orgs['org_type'] == 'icb').sum())} ICBs, {len(ref.regions)} regions",
        ])  # fmt: skip
    lines = [
        f"release {pub.release.version} ({pub.release.status}), inputs sha256 {pub.inputs_hash[:12]}",
        f"methodology: years {', '.join(str(y) for y in sorted(m.domains['year'].unique()))}; "
        f"{len(m.domains)} domain-years, {len(m.questions)} question-years, "
        f"{len(m.elements)} element-years",
        f"reference: {int((orgs['org_type'] == 'trust').sum())} trusts, "
        f"{int((orgs['org_type'] == 'icb').sum())} ICBs, {len(ref.regions)} regions"
        + (" (fictional demonstration data)" if pub.is_demo else ""),
        f"returns: {v.reconciliation['rows_read']} answer rows in "
        f"{v.reconciliation['returns_read']} returns",
    ]
    return "\n".join(lines)


def format_reconciliation(rec: dict[str, int]) -> str:
    """The reconciliation, as the build prints it."""
    return (
        f"reconciliation: answer rows read {rec['rows_read']} = scored {rec['rows_scored']}"
        f" + rejected {rec['rows_rejected']}; returns read {rec['returns_read']}"
        f" = scored {rec['returns_scored']} + rejected {rec['returns_rejected']}"
    )


def format_disclosure(record: Any) -> str:
    """The disclosure audit stage's outcome, as the build prints it."""
    if record is None or record.n_withheld == 0:
        return "disclosure audit: nothing withheld, nothing to work back"
    return (
        f"disclosure audit: {record.n_withheld} withheld values, {record.pinned_before} pinned "
        f"before extra withholding, {len(record.pinned)} after; extra withheld "
        f"{len(record.benchmark_rows)} benchmark rows and {len(record.pillar_scores)} pillar "
        f"scores ({record.rounds} audits, solver {record.seconds:.1f} s"
        + (", kept from an earlier build of the same tables)" if record.cached else ")")
    )


def format_history(history: Any) -> str:
    """The releases stage's outcome, as the build prints it."""
    if history is None:
        return "releases: no history"
    archived = [v.version for v in history.versions if v.archived is not None]
    if not archived:
        return f"releases: {history.current}; no earlier version's values are archived"
    c = history.changes
    mine = c[c["version"] == history.current]
    org = mine["unit_type"] == "organisation"
    text = (
        f"releases: {history.current} against archived {', '.join(archived)}: "
        f"{len(mine)} published values changed ({int(org.sum())} of "
        f"{mine.loc[org, 'unit_code'].nunique()} organisations, {int((~org).sum())} benchmark values)"
    )
    if history.unused_reasons:
        codes = ", ".join(f"{code} ({version})" for version, code in history.unused_reasons)
        text += (
            f"; release.yaml gives reasons for {codes}, but no published value of theirs changed"
        )
    return text
