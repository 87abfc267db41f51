"""The disclosure audit stage: withhold more until no withheld value can be worked back.

A pure stage run after suppression. The attacker's solver (`dma_publish.audit`) finds the
feasible levels of every withheld domain score from everything published. While any value is
pinned to one level, the build withholds more, in the order the policy's
`disclosure_audit.withhold` names, and re-audits only the values still pinned (a witness of two
levels stays valid when the publication only withholds more):

- `benchmark`: the published benchmark rows whose figures pin a value. Each round withholds, for
  every pinned value, up to COVER rows that involve it, greedily: the row involving most pinned
  values still wanting one (then the one describing fewest organisations, then the first), so
  that the extra withholding stays small; a value pinned by several routes loses up to COVER
  routes a round.
- `pillar_score`: the pillar score of a return whose own published scores (pillar, overall and
  like-for-like) pin a withheld value on their own, for example Safe Practice 1.00 over three
  withheld scores. Withholding it withholds what it can be worked back from too: the return's
  overall score (the mean of its pillar scores, from which one missing pillar follows) and the
  like-for-like scores of that pillar in its year and in the next year's comparison.

A policy that cannot be made safe within `max_rounds` stops the build (`PolicyUnsafe`), naming
the values still pinned and what to change. Once nothing is pinned, a final exact audit of every
withheld value on the final publication gives the levels the published counts describe (each
level a solution gives the value, proven for every level, so a gap inside a range is not counted).

The stage is a function of the tables it reads, so its outcome is kept in
`.cache/disclosure-audit/`, named by a hash of those tables, the policy's settings and this
code: a rebuild from the same suppressed tables replays the withholding it chose (the same calls
in the same order, so the same publication) without solving again.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import pickle
import threading
from typing import Any

import numpy as np
import pandas as pd

from dma_publish.aggregate import BENCHMARK_KEY
from dma_publish.audit import RETURN_KEY, AuditResult, _explore, audit, restrict
from dma_publish.errors import PolicyUnsafe
from dma_publish.publication import DisclosureRecord, Publication
from dma_publish.resources import CACHE_DIR, package_file
from dma_publish.suppress import LEVEL_COLUMNS, STAT_COLUMNS

PILLAR_KEY = [*RETURN_KEY, "pillar_id"]
COVER = 3  # benchmark rows withheld per pinned value a round: a value may be pinned by several
# routes, and three a round takes 4 audits on the demo (one a round: 6, with 22% fewer rows)


def replace(obj: Any, **changes: Any) -> Any:
    """A copy of a frozen dataclass (a Publication, its Scores) with fields changed."""
    return dataclasses.replace(obj, **changes)


# ---------------------------------------------------------------------------------------------
# Withholding more


def withhold_benchmarks(bench: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    """The benchmarks with the rows at positions `rows` withheld, as suppression withholds."""
    out = bench.reset_index(drop=True).copy()
    hit = np.zeros(len(out), dtype=bool)
    hit[rows] = True
    for col in LEVEL_COLUMNS:
        out[col] = out[col].astype("Int64")
        out.loc[hit, col] = pd.NA
    out.loc[hit, STAT_COLUMNS] = np.nan
    out["is_suppressed"] = out.get("is_suppressed", False) | hit
    return out


def withhold_pillars(scores: Any, pillars: set[tuple]) -> Any:
    """The scores with the pillar scores `pillars` (PILLAR_KEY tuples) withheld, and what they
    could be worked back from: the return's overall score and the pillar's like-for-like scores
    (its own, and the next year's comparison with it)."""
    ps = scores.pillar_scores.copy()
    keys = list(zip(*(ps[c] for c in PILLAR_KEY), strict=True))
    hit = np.array([k in pillars for k in keys], dtype=bool)
    prev = (
        ps["lfl_previous_year"] if "lfl_previous_year" in ps else pd.Series(np.nan, index=ps.index)
    )
    compared = np.array(
        [
            (int(p), o, c, pid) in pillars if pd.notna(p) else False
            for p, o, c, pid in zip(
                prev, ps["org_code"], ps["care_setting"], ps["pillar_id"], strict=True
            )
        ],
        dtype=bool,
    )
    flag = (
        ps["is_suppressed"].fillna(False).to_numpy(bool)
        if "is_suppressed" in ps
        else np.zeros(len(ps), bool)
    )
    ps["is_suppressed"] = flag | hit
    ps.loc[hit, "score"] = np.nan
    lfl = hit | compared
    if "lfl_score" in ps:
        flag = (
            ps["lfl_is_suppressed"].fillna(False).to_numpy(bool)
            if "lfl_is_suppressed" in ps
            else np.zeros(len(ps), bool)
        )
        lfl &= ps["lfl_score"].notna().to_numpy() | flag
        ps["lfl_is_suppressed"] = flag | lfl
        for col in ("lfl_score", "lfl_previous_score", "lfl_n_scores"):
            ps.loc[lfl, col] = np.nan
    ov = scores.overall_scores.copy()
    returns = {k[:3] for k in pillars}
    hit = np.array(
        [k in returns for k in zip(*(ov[c] for c in RETURN_KEY), strict=True)], dtype=bool
    )
    flag = (
        ov["is_suppressed"].fillna(False).to_numpy(bool)
        if "is_suppressed" in ov
        else np.zeros(len(ov), bool)
    )
    ov["is_suppressed"] = flag | hit
    ov.loc[hit, "score"] = np.nan
    return replace(scores, pillar_scores=ps, overall_scores=ov)


def mark_score_tables(scores: Any) -> Any:
    """Pillar and overall tables with an `is_suppressed` flag (false until the stage sets it)."""
    changes = {}
    for name in ("pillar_scores", "overall_scores"):
        frame = getattr(scores, name)
        if "is_suppressed" not in frame:
            changes[name] = frame.assign(is_suppressed=False)
    return replace(scores, **changes) if changes else scores


# ---------------------------------------------------------------------------------------------
# Choosing what to withhold


def _own_pins(result: AuditResult, pinned: list[int]) -> set[int]:
    """The pinned values that their own return's published scores (pillar, overall,
    like-for-like) pin with no benchmark at all: only withholding a score of theirs frees them."""
    know, truth = result.knowledge, result.truth
    ret = know.unknowns[RETURN_KEY].apply(tuple, axis=1).tolist()
    by_return: dict[tuple, list[int]] = {}
    for u, r in enumerate(ret):
        by_return.setdefault(r, []).append(u)
    own: dict[tuple, list] = {}
    for c in know.constraints:
        if c.source and c.source[0] in ("pillar", "overall", "lfl"):
            own.setdefault(tuple(c.source[1:4]), []).append(c)
    out: set[int] = set()
    for r in sorted({ret[u] for u in pinned}):
        cell = by_return[r]
        free = set(cell)
        cons = [x for x in (restrict(c, free, truth) for c in own.get(r, [])) if x]
        seen = np.zeros((len(truth), 5), dtype=bool)
        seen[cell, truth[cell] - 1] = True
        targets = {u for u in pinned if ret[u] == r}
        if cons:
            _explore(cell, cons, seen, targets, exact=False)
        out |= {u for u in targets if seen[u].sum() == 1 and cons}
    return out


def _benchmark_cover(
    result: AuditResult,
    pinned: list[int],
    bench: pd.DataFrame,
    times: int = COVER,
    public: frozenset[int] = frozenset(),
) -> list[int]:
    """Published benchmark rows involving each pinned value `times` times (or all there are),
    greedily: the row involving most values still wanting one, then the one over fewest
    organisations, then the first. Rows in `public` are never chosen: an earlier version
    published the same figures, so withholding them now would hide nothing."""
    involving: dict[int, set[int]] = {}
    wanted = set(pinned)
    for c in result.knowledge.constraints:
        if c.source and c.source[0] == "benchmark" and c.source[1] not in public:
            hit = wanted & c.units
            if hit:
                involving.setdefault(c.source[1], set()).update(hit)
    n_orgs = bench["n_orgs"].to_numpy()
    rows_of: dict[int, int] = {}
    for members in involving.values():
        for u in members:
            rows_of[u] = rows_of.get(u, 0) + 1
    need = {u: min(times, n) for u, n in rows_of.items()}
    chosen: list[int] = []
    while any(need.values()):
        row = min(involving, key=lambda r: (-sum(need[u] > 0 for u in involving[r]), n_orgs[r], r))
        chosen.append(row)
        for u in involving.pop(row):
            need[u] = max(need[u] - 1, 0)
    return sorted(chosen)


AUDIT_CACHE = CACHE_DIR / "disclosure-audit"
# What the stage's outcome depends on besides its inputs: the solver's and the stage's code.
_CODE = tuple(package_file(name) for name in ("audit.py", "disclose.py"))
Steps = list[tuple[list[int], set[tuple]]]  # each round's benchmark rows and pillar scores


def run_stage(
    pub: Publication,
    truth_scores: pd.DataFrame,
    withhold: tuple[str, ...],
    max_rounds: int,
    public_rows: frozenset[int] = frozenset(),
) -> Any:
    """Audit the suppressed publication and withhold more until no withheld value is pinned.

    `public_rows` are benchmark rows (positions) an archived version published with the same
    figures (dma_publish.withheld_versions.public_benchmark_rows): they stay published, and what they
    pin is freed another way. Returns the publication with the extra withholding applied and
    `disclosure` set to the DisclosureRecord; raises PolicyUnsafe when the policy cannot make
    it safe. An earlier build's audit of the same tables is replayed (`AUDIT_CACHE`)."""
    pub = replace(pub, scores=mark_score_tables(pub.scores))
    key = _cache_key(pub, truth_scores, withhold, max_rounds, public_rows)
    kept = _cached(key) if key is not None else None
    if kept is not None:
        steps, record = kept
        return replace(_apply(pub, steps), disclosure=record)
    pub, steps, record = _audit_and_withhold(pub, truth_scores, withhold, max_rounds, public_rows)
    if key is not None:
        _keep(key, steps, record)
    return pub


def _apply(pub: Publication, steps: Steps) -> Any:
    """The publication with each round's withholding applied, in order, as the audit chose it."""
    for rows, pillars in steps:
        if rows:
            pub = replace(pub, benchmarks=withhold_benchmarks(pub.benchmarks, rows))
        if pillars:
            pub = replace(pub, scores=withhold_pillars(pub.scores, pillars))
    return pub


def _digest_frame(h: Any, frame: pd.DataFrame) -> None:
    """Feed a frame's columns, types and every value (with its index) to a hash."""
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())


def _cache_key(
    pub: Publication,
    truth_scores: pd.DataFrame,
    withhold: tuple[str, ...],
    max_rounds: int,
    public_rows: frozenset[int],
) -> str | None:
    """A hash of everything the stage reads (the tables the attacker sees, the true scores, the
    policy's settings) and of the code that audits; None where a table cannot be hashed."""
    h = hashlib.sha256()
    try:
        for path in _CODE:
            h.update(path.read_bytes())
        h.update(f"{pd.__version__}\n{np.__version__}\n{withhold}\n{max_rounds}\n".encode())
        h.update(repr(sorted(public_rows)).encode())
        frames = [
            pub.scores.domain_scores,
            pub.scores.pillar_scores,
            pub.scores.overall_scores,
            pub.methodology.comparability,
            pub.reference.organisations[["org_code", "icb_code", "region_code"]],
            pub.benchmarks,
            truth_scores,
        ]
        for frame in frames:
            _digest_frame(h, frame)
    except (OSError, TypeError, ValueError, AttributeError):
        return None
    return h.hexdigest()


def _cached(key: str) -> tuple[Steps, DisclosureRecord] | None:
    """What an earlier build's audit of the same tables chose, or None (also for an entry that
    is missing, cut short or not what this code wrote: the stage then runs)."""
    try:
        data = (AUDIT_CACHE / f"{key}.pickle").read_bytes()
        digest, body = data[:64].decode("ascii"), data[64:]
        if hashlib.sha256(body).hexdigest() != digest:
            return None
        steps, fields = pickle.loads(body)
        return steps, dataclasses.replace(DisclosureRecord(**fields), cached=True, seconds=0.0)
    except Exception:  # a damaged cache entry is only a cache miss
        return None


def _keep(key: str, steps: Steps, record: DisclosureRecord) -> None:
    """Keep the stage's outcome for later builds: written whole, then renamed."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    body = pickle.dumps((steps, fields), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        AUDIT_CACHE.mkdir(parents=True, exist_ok=True)
        temporary = AUDIT_CACHE / f"{key}.{os.getpid()}-{threading.get_ident()}.tmp"
        temporary.write_bytes(hashlib.sha256(body).hexdigest().encode("ascii") + body)
        temporary.replace(AUDIT_CACHE / f"{key}.pickle")
    except OSError:
        pass  # a read-only checkout audits each time


def _audit_and_withhold(
    pub: Publication,
    truth_scores: pd.DataFrame,
    withhold: tuple[str, ...],
    max_rounds: int,
    public_rows: frozenset[int],
) -> tuple[Any, Steps, DisclosureRecord]:
    """The stage itself: audit, withhold more, audit again, until nothing is pinned; the
    publication, each round's withholding and the record. Raises PolicyUnsafe."""
    steps: Steps = []
    result = audit(pub, truth_scores)
    seconds = result.seconds
    pinned_before = len(result.pinned)
    extra_rows: list[int] = []
    extra_pillars: set[tuple] = set()
    rounds = 1
    # values their own return's scores pin: found once (benchmarks play no part in it)
    own_all: set[int] = set()
    if len(result.pinned) and "pillar_score" in withhold:
        own_all = _own_pins(result, result.pinned.index.tolist())
    while len(result.pinned) and rounds <= max_rounds:
        pinned = result.pinned.index.tolist()
        values = result.values
        # once its pillar score is withheld, what still pins a value is some benchmark
        own = {
            u
            for u in own_all.intersection(pinned)
            if tuple(values.loc[u, PILLAR_KEY]) not in extra_pillars
        }
        rest = [u for u in pinned if u not in own]
        rows = (
            _benchmark_cover(result, rest, pub.benchmarks, public=public_rows)
            if "benchmark" in withhold
            else []
        )
        pillars = {tuple(values.loc[u, PILLAR_KEY]) for u in own}
        if "pillar_score" in withhold and not rows:
            # no benchmark row left to withhold for them: their pillar scores go
            pillars |= {tuple(values.loc[u, PILLAR_KEY]) for u in rest}
        pillars -= extra_pillars
        if not rows and not pillars:
            break
        know = result.knowledge
        steps.append((list(rows), set(pillars)))
        if rows:
            pub = replace(pub, benchmarks=withhold_benchmarks(pub.benchmarks, rows))
            extra_rows += rows
            # a withheld row's facts leave the attacker's knowledge: nothing else changes
            gone = {("benchmark", r) for r in rows}
            know = copy.copy(know)
            know.constraints = [c for c in know.constraints if c.source not in gone]
        if pillars:
            pub = replace(pub, scores=withhold_pillars(pub.scores, pillars))
            extra_pillars |= pillars
            know = None  # the pillar and overall figures change: rebuilt from the publication
        result = audit(pub, truth_scores, start=result, knowledge=know)
        seconds += result.seconds
        rounds += 1
    if not len(result.pinned):
        # the published counts describe the publication as published: every withheld value's
        # feasible levels, each proved on the final tables (the rounds above stop at a second level and
        # re-check only what was pinned; their witnesses stay valid, as the final publication
        # only withholds more)
        result = audit(pub, truth_scores, exact=True, start=result)
        seconds += result.seconds
    bench = pub.benchmarks.reset_index(drop=True)
    record = DisclosureRecord(
        values=result.values,
        pinned_before=pinned_before,
        n_withheld=len(result.values),
        rounds=rounds,
        benchmark_rows=bench.loc[sorted(extra_rows), BENCHMARK_KEY].reset_index(drop=True),
        pillar_scores=pd.DataFrame(sorted(extra_pillars), columns=PILLAR_KEY),
        seconds=seconds,
    )
    if len(record.pinned):
        raise PolicyUnsafe(unsafe_message(record, withhold, max_rounds))
    return replace(pub, disclosure=record), steps, record


def unsafe_message(record: DisclosureRecord, withhold: tuple[str, ...], max_rounds: int) -> str:
    """Which values remain pinned, and what to change in the policy."""
    pinned = record.pinned
    shown = [
        f"{r.year} {r.org_code} {r.care_setting} {r.score_id}"
        for r in pinned.head(10).itertuples(index=False)
    ]
    more = f" and {len(pinned) - 10} more" if len(pinned) > 10 else ""
    allowed = ", ".join(withhold) if withhold else "nothing"
    return (
        f"the publication policy is not safe: {len(pinned)} withheld values can still be worked "
        f"back exactly from what is published ({'; '.join(shown)}{more}) after "
        f"{record.rounds} audit rounds, withholding extra {allowed}. In publication-policy.yaml, "
        "let disclosure_audit.withhold name benchmark and pillar_score, raise "
        "disclosure_audit.max_rounds, or withhold these domains at a coarser finest_level"
    )
