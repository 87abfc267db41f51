"""Disclosure audit: can an attacker work a withheld score back from what is published?

A pure stage run after suppression, on the numbers every publisher reads (data files,
per-organisation files, chart data, page tables and the search index are all made from the
suppressed Publication, rounded to the registry's decimal places). The attacker:

- knows every published number, at its published precision (pillar, overall and benchmark
  figures to 2 decimal places, so each stands for an interval of width 0.01);
- knows which organisations are in which peer group and which scores each return has;
- treats every withheld domain score as an integer unknown from 1 to 5.

Constraints (all linear in the unknowns, each withheld score encoded as five 0/1 indicators):

- a published pillar score with its `n_scores`: the mean of the pillar's scores;
- a published overall score with `n_pillars`: the mean of the pillar means;
- a published like-for-like score and previous score: means over the comparable scores;
- every published benchmark row (national, region and ICB system, each in one care
  setting; totals across nested groups follow from the rows themselves): `n_level_1`..`n_level_5`,
  the mean, the minimum and maximum, and for whole-number measures the median and quartiles
  (type 7, Excel QUARTILE.INC: order statistics encoded exactly). For pillar and overall rows with
  withheld members the audit uses the mean, range and level counts (the level is
  `score.level_of`: the published 2-dp value rounded half away from zero); their quartiles are not used (a weaker attacker there).

The solver is HiGHS through `scipy.optimize.milp`. The problem splits into independent
components (unknowns linked by no constraint never share a model), one MILP family per
component. For each withheld value the audit finds the smallest and largest feasible level:
starting from one feasible solution, it repeatedly asks for a solution that takes some unknown
outside the range seen so far; when none exists the ranges are exact.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from dma_publish.aggregate import BENCHMARK_KEY, peer_group_members
from dma_publish.peergroups import PEER_GROUP_TYPES
from dma_publish.score import SCORE_DP, as_published, level_of
from dma_publish.vocab import RETURN_KEY

LEVELS = (1, 2, 3, 4, 5)
HALF = 0.5 * 10.0**-SCORE_DP  # a figure published to 2 decimal places stands for +/- this
EPS = 1e-6


@dataclass
class Expr:
    """A linear expression: constant + sum(coef * value of unknown u)."""

    terms: dict[int, float] = field(default_factory=dict)
    const: float = 0.0

    def add(self, other: Expr, scale: float = 1.0) -> None:
        for u, c in other.terms.items():
            self.terms[u] = self.terms.get(u, 0.0) + c * scale
        self.const += other.const * scale


@dataclass
class Constraint:
    """One published fact about the unknowns `units` (in one of four kinds)."""

    kind: str  # "range" | "levels" | "quantile" | "expr_levels"
    units: frozenset[int]
    data: tuple
    # the published figure it comes from: ("pillar", year, org, setting, pillar),
    # ("overall", year, org, setting), ("lfl", year, org, setting, pillar) or ("benchmark", row)
    # with row the position in the publication's benchmarks (what the build may withhold)
    source: tuple = ()


@dataclass(frozen=True)
class AuditResult:
    """Per withheld value its witnessed levels (lowest, highest and each one), and the time the
    solver took."""

    values: pd.DataFrame  # year, org_code, care_setting, score_id, pillar_id, low, high, levels
    seconds: float
    n_components: int
    exact: bool = False  # every level proven feasible or not, or witnessed up to a second level
    knowledge: Knowledge | None = field(default=None, repr=False, compare=False)
    truth: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def pinned(self) -> pd.DataFrame:
        """Withheld values an attacker can work back exactly."""
        return self.values[self.values["low"] == self.values["high"]]

    def summary(self) -> pd.DataFrame:
        """Counts of withheld values by feasible range, per year and survey."""
        return summarise(self.values)


def summarise(values: pd.DataFrame) -> pd.DataFrame:
    """Counts of withheld values by (year, survey, lowest, highest feasible level)."""
    cols = ["year", "survey", "feasible_low", "feasible_high", "n_levels", "n_withheld"]
    if values.empty:
        return pd.DataFrame(columns=cols)
    frame = values.assign(
        survey=np.where(values["care_setting"] == "icb", "icb", "secondary_care"),
        feasible_low=values["low"],
        feasible_high=values["high"],
        n_levels=n_levels(values),
    )
    out = frame.groupby(cols[:5]).size()
    out = out.rename("n_withheld").reset_index()
    return out[cols].sort_values(cols[:5]).reset_index(drop=True)


def n_levels(values: pd.DataFrame) -> pd.Series:
    """How many levels each withheld value can take: the witnessed levels (`levels`, a bit per
    level, 1 for level 1 to 16 for level 5), which need not run unbroken from low to high (two
    values of a group counted as one at level 2 and one at level 4 can each be 2 or 4, not 3)."""
    return values["levels"].astype(int).map(lambda m: bin(m).count("1")).astype(int)


def _level_frame(seen: np.ndarray) -> dict[str, np.ndarray]:
    """Low, high and the level bits of each row of a (values x 5) matrix of witnessed levels."""
    return {
        "low": 1 + np.argmax(seen, axis=1),
        "high": 5 - np.argmax(seen[:, ::-1], axis=1),
        "levels": (seen * (1 << np.arange(5))).sum(axis=1).astype(int),
    }


def _r2(x: float) -> float:
    """A figure as the tables will publish it (the audit runs on the full-precision frames,
    before the tables exist), so the model reads what a reader reads."""
    return float(as_published(float(x)))


# ---------------------------------------------------------------------------------------------
# The attacker's knowledge


class Knowledge:
    """Every published number of a suppressed Publication, as constraints on the unknowns."""

    def __init__(self, pub) -> None:
        scores = pub.scores
        dom = scores.domain_scores.reset_index(drop=True)
        withheld = dom["is_suppressed"].fillna(False).to_numpy(bool)
        self.unknowns = dom.loc[withheld, [*RETURN_KEY, "score_id", "pillar_id"]].reset_index(
            drop=True
        )
        uid = np.full(len(dom), -1)
        uid[withheld] = np.arange(int(withheld.sum()))
        values = dom["score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        self.constraints: list[Constraint] = []
        self._source: tuple = ()
        # the value of each domain score: an unknown or a published constant
        self.domain: dict[tuple, Expr] = {}
        self.pillar_members: dict[tuple, list[tuple]] = defaultdict(list)
        keys = list(
            zip(dom["year"], dom["org_code"], dom["care_setting"], dom["score_id"], strict=True)
        )
        for i, key in enumerate(keys):
            self.domain[key] = Expr({int(uid[i]): 1.0}) if uid[i] >= 0 else Expr({}, values[i])
        for key, pillar in zip(keys, dom["pillar_id"], strict=True):
            self.pillar_members[(*key[:3], pillar)].append(key)
        self.pillar: dict[tuple, Expr] = {}
        for pkey, members in self.pillar_members.items():
            e = Expr()
            for m in members:
                e.add(self.domain[m], 1.0 / len(members))
            self.pillar[pkey] = e
        self.published_values: dict[tuple, float] = {}
        self.overall: dict[tuple, Expr] = {}
        by_return: dict[tuple, list[tuple]] = defaultdict(list)
        for pkey in self.pillar:
            by_return[pkey[:3]].append(pkey)
        for rkey, pkeys in by_return.items():
            e = Expr()
            for p in pkeys:
                e.add(self.pillar[p], 1.0 / len(pkeys))
            self.overall[rkey] = e
        self._scores(pub)
        self._like_for_like(pub)
        self._benchmarks(pub)

    # -- facts --------------------------------------------------------------------------------

    def _range(self, expr: Expr, low: float, high: float) -> None:
        terms = {u: c for u, c in expr.terms.items() if abs(c) > 1e-12}
        if not terms:
            return
        self.constraints.append(
            Constraint(
                "range",
                frozenset(terms),
                (terms, low - expr.const, high - expr.const),
                self._source,
            )
        )

    def _scores(self, pub) -> None:
        ps = pub.scores.pillar_scores
        hidden = _flag(ps, "is_suppressed")
        for y, o, c, p, s, h in zip(
            ps["year"],
            ps["org_code"],
            ps["care_setting"],
            ps["pillar_id"],
            ps["score"],
            hidden,
            strict=True,
        ):
            if not h and not pd.isna(s):
                v = _r2(s)
                self.published_values[("pillar", y, o, c, p)] = v
                self._source = ("pillar", y, o, c, p)
                self._range(self.pillar[(y, o, c, p)], v - HALF, v + HALF)
        ov = pub.scores.overall_scores
        hidden = _flag(ov, "is_suppressed")
        for y, o, c, s, h in zip(
            ov["year"], ov["org_code"], ov["care_setting"], ov["score"], hidden, strict=True
        ):
            if not h and not pd.isna(s):
                v = _r2(s)
                self.published_values[("overall", y, o, c)] = v
                self._source = ("overall", y, o, c)
                self._range(self.overall[(y, o, c)], v - HALF, v + HALF)

    def _like_for_like(self, pub) -> None:
        ps = pub.scores.pillar_scores
        if "lfl_score" not in ps:
            return
        comp = pub.methodology.comparability
        comparable = set(
            zip(
                *[comp.loc[comp["status"] == "comparable", c] for c in ("year", "domain_id")],
                strict=True,
            )
        )
        dom = pub.scores.domain_scores
        domain_of = dict(
            zip(zip(dom["year"], dom["score_id"], strict=True), dom["domain_id"], strict=True)
        )
        rows = ps[ps["lfl_score"].notna()]
        for r in rows.itertuples(index=False):
            prev = int(r.lfl_previous_year)
            members = [
                m
                for m in self.pillar_members[(r.year, r.org_code, r.care_setting, r.pillar_id)]
                if (r.year, domain_of[(m[0], m[3])]) in comparable
                and (prev, r.org_code, r.care_setting, m[3]) in self.domain
            ]
            if len(members) != int(r.lfl_n_scores):
                continue  # a set the attacker cannot name; nothing is assumed
            now, before = Expr(), Expr()
            self._source = ("lfl", r.year, r.org_code, r.care_setting, r.pillar_id)
            for m in members:
                now.add(self.domain[m], 1.0 / len(members))
                before.add(self.domain[(prev, *m[1:])], 1.0 / len(members))
            # the published change (lfl_change) adds nothing: each mean of fewer than 100
            # whole numbers, published to 2 places, gives its sum exactly, so their difference is
            # known already (adding it only joins the two years' unknowns into larger cells)
            for e, v in ((now, r.lfl_score), (before, r.lfl_previous_score)):
                v = _r2(v)
                self._range(e, v - HALF, v + HALF)

    def _benchmarks(self, pub) -> None:
        """Every published benchmark row whose group has a withheld member, as constraints.

        Vectorised: one table of every measure's units with whether its value is unknown, its
        peer groups, then only the published groups with an unknown member are visited."""
        domain_keys = list(self.domain)
        pillar_keys = list(self.pillar)
        overall_keys = list(self.overall)
        exprs: list[Expr] = (
            [self.domain[k] for k in domain_keys]
            + [self._published_or(self.pillar[k], ("pillar", *k)) for k in pillar_keys]
            + [self._published_or(self.overall[k], ("overall", *k)) for k in overall_keys]
        )
        units = pd.concat(
            [
                pd.DataFrame(domain_keys, columns=[*RETURN_KEY, "measure_id"]).assign(
                    measure_type="domain"
                ),
                pd.DataFrame(pillar_keys, columns=[*RETURN_KEY, "measure_id"]).assign(
                    measure_type="pillar"
                ),
                pd.DataFrame(overall_keys, columns=RETURN_KEY).assign(
                    measure_type="overall", measure_id="overall"
                ),
            ],
            ignore_index=True,
        )
        units["_expr"] = np.arange(len(units))
        units["_unknown"] = np.array([bool(e.terms) for e in exprs], dtype=bool)
        codes = [t.code_column for t in PEER_GROUP_TYPES if t.code_column is not None]
        places = pub.reference.organisations[["org_code", *codes]]
        units = units.merge(places, on="org_code", how="left")
        units["survey"] = np.where(units["care_setting"] == "icb", "icb", "secondary_care")
        members = peer_group_members(units)
        key = BENCHMARK_KEY
        bench = pub.benchmarks.reset_index(drop=True)
        published = bench.assign(row_id=np.arange(len(bench)))[~_flag(bench, "is_suppressed")]
        touched = members.loc[members["_unknown"], key].drop_duplicates()
        rows = published.merge(touched, on=key, how="inner")
        if rows.empty:
            return
        inside = members.merge(rows[[*key, "row_id"]], on=key, how="inner")
        inside = inside.sort_values(["row_id", "_expr"], kind="stable")
        row_ids = inside["row_id"].to_numpy()
        expr_ids = inside["_expr"].to_numpy()
        bounds = np.flatnonzero(np.diff(row_ids)) + 1
        by_row = dict(zip(row_ids[np.r_[0, bounds]], np.split(expr_ids, bounds), strict=True))
        for row in rows.sort_values("row_id").itertuples(index=False):
            self._source = ("benchmark", int(row.row_id))
            self._row(row, [exprs[i] for i in by_row[row.row_id]], row.measure_type == "domain")

    def _member(self, measure_type: str, y, o, c, mid) -> Expr:
        if measure_type == "domain":
            return self.domain[(y, o, c, mid)]
        if measure_type == "pillar":
            return self._published_or(self.pillar[(y, o, c, mid)], ("pillar", y, o, c, mid))
        return self._published_or(self.overall[(y, o, c)], ("overall", y, o, c))

    def _published_or(self, expr: Expr, key: tuple) -> Expr:
        known = self.published_values.get(key)
        return Expr({}, known) if known is not None else expr

    def _row(self, row, exprs: list[Expr], integer: bool) -> None:
        n = len(exprs)
        unknown = frozenset(u for e in exprs for u in e.terms)
        counts = [getattr(row, f"n_level_{k}") for k in LEVELS]
        has_counts = not any(pd.isna(c) for c in counts)
        if integer and has_counts:
            # the level counts give the group's whole multiset of scores: the mean, range and
            # quartiles of a whole-number measure add nothing to them
            known = [e.const for e in exprs if not e.terms]
            need = tuple(
                int(c) - sum(1 for v in known if v == k)
                for k, c in zip(LEVELS, counts, strict=True)
            )
            self.constraints.append(
                Constraint("levels", unknown, (tuple(sorted(unknown)), need), self._source)
            )
            return
        mean = row.mean
        if not pd.isna(mean):
            total = Expr()
            for e in exprs:
                total.add(e)
            v = _r2(mean)
            self._range(total, n * (v - HALF) - EPS, n * (v + HALF) + EPS)
        lo, hi = row.min, row.max
        for e in exprs:
            if e.terms and not pd.isna(lo):
                self._range(e, _r2(lo) - HALF - EPS, _r2(hi) + HALF + EPS)
        if integer:
            if not pd.isna(lo):
                self._attained(exprs, int(round(lo)), unknown)
                self._attained(exprs, int(round(hi)), unknown)
            for p, col in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
                q = getattr(row, col)
                if not pd.isna(q):
                    known = tuple(e.const for e in exprs if not e.terms)
                    self.constraints.append(
                        Constraint(
                            "quantile",
                            unknown,
                            (tuple(sorted(unknown)), known, p, _r2(q)),
                            self._source,
                        )
                    )
        elif has_counts:
            parts = [e for e in exprs if e.terms]
            known = [e.const for e in exprs if not e.terms]
            need = tuple(
                int(c) - sum(1 for v in known if int(level_of(v)) == k)
                for k, c in zip(LEVELS, counts, strict=True)
            )
            self.constraints.append(Constraint("expr_levels", unknown, (parts, need), self._source))

    def _attained(self, exprs: list[Expr], level: int, unknown: frozenset[int]) -> None:
        if any(not e.terms and e.const == level for e in exprs):
            return
        self.constraints.append(
            Constraint("levels", unknown, (tuple(sorted(unknown)), None, level), self._source)
        )


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).to_numpy(bool)


# ---------------------------------------------------------------------------------------------
# The model of one component


class Model:
    """A MILP over the unknowns of one component: five indicators per unknown, plus helpers."""

    def __init__(self, units: list[int]) -> None:
        self.index = {u: i for i, u in enumerate(units)}
        self.n_vars = 5 * len(units)
        self.rows: list[tuple[dict[int, float], float, float]] = []
        for i in range(len(units)):
            self.rows.append(({5 * i + k: 1.0 for k in range(5)}, 1.0, 1.0))

    def x(self, u: int, level: int) -> int:
        return 5 * self.index[u] + level - 1

    def new_var(self) -> int:
        self.n_vars += 1
        return self.n_vars - 1

    def value_terms(self, terms: dict[int, float]) -> dict[int, float]:
        out: dict[int, float] = {}
        for u, c in terms.items():
            for k in LEVELS:
                out[self.x(u, k)] = out.get(self.x(u, k), 0.0) + c * k
        return out

    def add(self, c: Constraint) -> None:
        getattr(self, "_" + c.kind)(*c.data)

    def _range(self, terms: dict[int, float], low: float, high: float) -> None:
        # scale to whole-number coefficients: the left side is then a whole number, so the
        # bounds round inwards (a far tighter model for the solver)
        scale = 1
        for c in terms.values():
            scale = math.lcm(scale, _denominator(c))
        whole = {u: round(c * scale) for u, c in terms.items()}
        lo = math.ceil(low * scale - 1e-7) if np.isfinite(low) else low
        hi = math.floor(high * scale + 1e-7) if np.isfinite(high) else high
        self.rows.append((self.value_terms(whole), lo, hi))

    def _levels(self, units: tuple[int, ...], need: tuple[int, ...] | None, level: int = 0) -> None:
        if need is None:  # at least one member at `level`
            self.rows.append(({self.x(u, level): 1.0 for u in units}, 1.0, np.inf))
            return
        for k, c in zip(LEVELS, need, strict=True):
            self.rows.append(({self.x(u, k): 1.0 for u in units}, c, c))

    def _cum(self, units: tuple[int, ...], t: int) -> dict[int, float]:
        return {self.x(u, k): 1.0 for u in units for k in LEVELS if k <= t}

    def _quantile(
        self, units: tuple[int, ...], known: tuple[float, ...], p: float, q: float
    ) -> None:
        n = len(units) + len(known)
        h = (n - 1) * p
        j = math.floor(h + 1e-9)
        f = h - j
        pairs = [
            (a, b)
            for a in LEVELS
            for b in LEVELS
            if a <= b
            and (b == a or (f > 1e-9 and j + 1 < n))
            and abs(a + f * (b - a) - q) <= HALF + 1e-9
        ]
        if not pairs:
            self.rows.append(({}, 1.0, 1.0))  # infeasible: the data contradict the model
            return
        selectors = [self.new_var() for _ in pairs]
        self.rows.append(({s: 1.0 for s in selectors}, 1.0, 1.0))
        big = float(n)
        for s, (a, b) in zip(selectors, pairs, strict=True):
            for pos, v in ((j, a), (j + 1, b)) if f > 1e-9 else ((j, a),):
                # the order statistic at `pos` (0-based) is v: #(<= v-1) <= pos and #(<= v) >= pos+1
                below = sum(1 for w in known if w <= v - 1)
                upto = sum(1 for w in known if w <= v)
                row = self._cum(units, v - 1)
                row[s] = big
                self.rows.append((row, -np.inf, pos - below + big))
                row = self._cum(units, v)
                row[s] = -big
                self.rows.append((row, pos + 1 - upto - big, np.inf))

    def _expr_levels(self, parts: list[Expr], need: tuple[int, ...]) -> None:
        ys = [[self.new_var() for _ in LEVELS] for _ in parts]
        for e, y in zip(parts, ys, strict=True):
            self.rows.append(({v: 1.0 for v in y}, 1.0, 1.0))
            base = self.value_terms(e.terms)
            for k, v in zip(LEVELS, y, strict=True):
                big = 10.0
                row = dict(base)
                row[v] = row.get(v, 0.0) - big
                self.rows.append((row, k - 0.5 - HALF - e.const - big - EPS, np.inf))
                row = dict(base)
                row[v] = row.get(v, 0.0) + big
                self.rows.append((row, -np.inf, k + 0.5 - HALF - 1e-4 - e.const + big))
        for k, c in zip(LEVELS, need, strict=True):
            self.rows.append(({y[k - 1]: 1.0 for y in ys}, c, c))

    def constraint(self) -> LinearConstraint:
        r, cidx, vals, lo, hi = [], [], [], [], []
        for i, (terms, low, high) in enumerate(self.rows):
            for col, v in terms.items():
                r.append(i)
                cidx.append(col)
                vals.append(v)
            lo.append(low)
            hi.append(high)
        a = coo_matrix((vals, (r, cidx)), shape=(len(self.rows), self.n_vars)).tocsr()
        return LinearConstraint(a, np.array(lo), np.array(hi))


@cache
def _denominator(c: float) -> int:
    return Fraction(c).limit_denominator(10_000).denominator


def _solve(model: Model, base: LinearConstraint, objective: np.ndarray | None) -> np.ndarray | None:
    n = model.n_vars
    constraints = [base]
    c = np.zeros(n)
    if objective is not None:
        c = -objective  # maximise
        constraints.append(LinearConstraint(objective.reshape(1, -1), 1.0, np.inf))
    res = milp(
        c,
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.5, "presolve": True},
    )
    if res.status == 2:  # infeasible
        return None
    if res.x is None:
        raise RuntimeError(f"disclosure audit: solver failed ({res.message})")
    return np.round(res.x).astype(int)


def _explore(
    units: list[int],
    constraints: list[Constraint],
    seen: np.ndarray,
    targets: set[int],
    exact: bool,
) -> None:
    """Add to the witnessed levels `seen` (a row of 5 per unknown) of `units` (the rest of the
    publication fixed at its true values) with solutions of the model, until the solver proves
    there is none that takes a target to a level not yet witnessed (`exact`: every level,
    so the set is whole) or off its one witnessed level."""
    model = Model(units)
    for c in constraints:
        model.add(c)
    base = model.constraint()
    levels = np.arange(1, 6)
    rows = np.array(units)
    pos = np.array([model.x(u, 1) for u in units])
    aim = np.array([u in targets for u in units])
    while True:
        have = seen[rows]
        unseen = ~have
        if not exact:
            unseen &= (have.sum(axis=1) == 1)[:, None]
        unseen &= aim[:, None]
        if not unseen.any():
            return
        obj = np.zeros(model.n_vars)
        obj[(pos[:, None] + levels[None, :] - 1)[unseen]] = 1.0
        x = _solve(model, base, obj)
        if x is None:
            return
        values = np.argmax(x[pos[:, None] + levels[None, :] - 1], axis=1)
        seen[rows, values] = True


def _exchange_witnesses(constraints: list[Constraint], truth: np.ndarray, seen: np.ndarray) -> None:
    """Witness levels with the solutions an exchange gives, before any solver runs. Two withheld
    values that take part in exactly the same published figures, in the same way (the same
    coefficient in each sum; members alike of each count or quantile group), can trade their
    true levels and every figure stays as published: each of them can be the other's level.
    On the demo this settles most values without a solve."""
    roles: dict[int, list[tuple]] = defaultdict(list)
    for i, c in enumerate(constraints):
        if c.kind == "range":
            for u, coef in c.data[0].items():
                roles[u].append((i, round(coef, 9)))
        elif c.kind == "expr_levels":
            for part, e in enumerate(c.data[0]):
                for u, coef in e.terms.items():
                    roles[u].append((i, part, round(coef, 9)))
        else:  # counts at each level, quantiles: every member alike
            for u in c.units:
                roles[u].append((i,))
    alike: dict[tuple, list[int]] = defaultdict(list)
    for u, role in roles.items():
        alike[tuple(sorted(role))].append(u)
    for members in alike.values():
        levels = np.unique(truth[members])
        if len(members) > 1 and len(levels) > 1:
            seen[np.ix_(members, levels - 1)] = True


def restrict(c: Constraint, free: set[int], truth: np.ndarray) -> Constraint | None:
    """The constraint with every unknown outside `free` fixed at its true value."""
    fixed = c.units - free
    if not fixed:
        return c
    units = frozenset(c.units & free)
    if not units:
        return None
    if c.kind == "range":
        terms, low, high = c.data
        shift = sum(terms[u] * truth[u] for u in fixed)
        keep = {u: v for u, v in terms.items() if u in free}
        return Constraint("range", units, (keep, low - shift, high - shift))
    if c.kind == "levels":
        members, need, *level = c.data
        inside = tuple(u for u in members if u in free)
        if need is None:
            if any(truth[u] == level[0] for u in fixed):
                return None
            return Constraint("levels", units, (inside, None, level[0]))
        need = tuple(
            n - sum(1 for u in fixed if truth[u] == k) for k, n in zip(LEVELS, need, strict=True)
        )
        return Constraint("levels", units, (inside, need))
    if c.kind == "quantile":
        members, known, p, q = c.data
        inside = tuple(u for u in members if u in free)
        known = known + tuple(float(truth[u]) for u in fixed)
        return Constraint("quantile", units, (inside, known, p, q))
    parts, need = c.data  # expr_levels
    need = list(need)
    kept = []
    for e in parts:
        if not set(e.terms) & free:
            value = e.const + sum(v * truth[u] for u, v in e.terms.items())
            need[int(level_of(value)) - 1] -= 1
            continue
        r = Expr({u: v for u, v in e.terms.items() if u in free}, e.const)
        r.const += sum(v * truth[u] for u, v in e.terms.items() if u not in free)
        kept.append(r)
    return Constraint("expr_levels", units, (kept, tuple(need)))


def neighbourhoods(know: Knowledge, constraints: list[Constraint]) -> list[list[int]]:
    """For each return with withheld values, the unknowns of every return that shares all the
    published groups it is in (the returns an attacker cannot tell apart by any total)."""
    ret = [tuple(r) for r in know.unknowns[RETURN_KEY].itertuples(index=False)]
    by_return: dict[tuple, list[int]] = defaultdict(list)
    for u, r in enumerate(ret):
        by_return[r].append(u)
    shared: dict[tuple, frozenset | None] = dict.fromkeys(by_return)
    for c in constraints:
        returns = frozenset(ret[u] for u in c.units)
        if len(returns) < 2:
            continue
        for r in returns:
            have = shared[r]
            shared[r] = returns if have is None else have & returns
    cells = {shared[r] or frozenset([r]) for r in by_return}
    return [sorted(u for r in cell for u in by_return[r]) for cell in sorted(cells, key=sorted)]


MAX_CELL = 200  # unknowns solved together at most (a model the solver settles in a second)


def bounded(cell: list[int], unknowns: pd.DataFrame, limit: int = MAX_CELL) -> list[list[int]]:
    """A neighbourhood split into runs of whole returns of at most `limit` unknowns (those of
    one care setting, then one organisation, together). Fixing the rest at its true values
    only shrinks what the solver may find: a split can call a value pinned that a bigger model
    would free (so the build withholds more), never the other way round."""
    if len(cell) <= limit:
        return [cell]
    frame = unknowns.iloc[cell][RETURN_KEY].assign(u=cell)
    frame = frame.sort_values(["year", "care_setting", "org_code", "u"])
    parts: list[list[int]] = [[]]
    for _, group in frame.groupby(RETURN_KEY, sort=False):
        if parts[-1] and len(parts[-1]) + len(group) > limit:
            parts.append([])
        parts[-1].extend(group["u"].tolist())
    return [sorted(p) for p in parts]


def audit(
    pub,
    truth_scores: pd.DataFrame,
    exact: bool = False,
    targets: set[int] | None = None,
    start: AuditResult | None = None,
    knowledge: Knowledge | None = None,
) -> AuditResult:
    """The feasible levels of every withheld value of a suppressed Publication.

    `truth_scores` are the unsuppressed domain scores (one feasible solution). Each level is
    witnessed: it is the value's level in some solution satisfying every published figure,
    found with the rest of the publication fixed outside the value's neighbourhood (so the
    levels never overstate what an attacker cannot rule out). A value is pinned only when the
    solver proves that no such solution moves it off its true level. With `exact`, the solver
    also proves every level feasible or not (within the neighbourhood: `levels`, which can
    leave a gap between `low` and `high`); without, it stops at the second level. `targets` (unknown positions) and `start` (an earlier
    result on the same unknowns, whose witnesses stay valid when the publication only
    withholds more) re-audit just the values still pinned; `knowledge` is the publication's
    Knowledge when the caller has it already (it is built from `pub` when not given).
    """
    import time

    began = time.perf_counter()
    dom = pub.scores.domain_scores
    if (
        dom.empty
        or not dom.get("is_suppressed", pd.Series(False, index=dom.index)).fillna(False).any()
    ):
        # nothing withheld (e.g. published pillar scores only): nothing for an attacker to find
        empty = pd.DataFrame(
            columns=[*RETURN_KEY, "score_id", "pillar_id", "low", "high", "levels"]
        )
        return AuditResult(empty, time.perf_counter() - began, 0, exact)
    know = Knowledge(pub) if knowledge is None else knowledge
    key = [*RETURN_KEY, "score_id"]
    true = know.unknowns[key].merge(truth_scores[[*key, "score"]], on=key, how="left")
    truth = true["score"].astype(int).to_numpy()
    if start is not None:
        bits = start.values["levels"].to_numpy().astype(int)
        seen = (bits[:, None] >> np.arange(5)[None, :]) & 1 == 1
    else:
        seen = np.zeros((len(truth), 5), dtype=bool)
        seen[np.arange(len(truth)), truth - 1] = True
    aim = set(range(len(truth))) if targets is None else set(targets)
    _exchange_witnesses(know.constraints, truth, seen)
    touching: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(know.constraints):
        for u in c.units:
            touching[u].append(i)
    cells = [
        part
        for cell in neighbourhoods(know, know.constraints)
        for part in bounded(cell, know.unknowns)
    ]
    # cells overlap: each starts from the ranges the cells before it found
    for cell in cells:
        wanted = aim.intersection(cell)
        if not exact:
            wanted = {u for u in wanted if seen[u].sum() == 1}
        idx = sorted({i for u in cell for i in touching[u]})
        if not wanted or not idx:
            continue
        free = set(cell)
        cons = [r for r in (restrict(know.constraints[i], free, truth) for i in idx) if r]
        _explore(cell, cons, seen, wanted, exact)
    for u in range(len(truth)):
        if not touching[u]:
            seen[u] = True
    values = know.unknowns.assign(**_level_frame(seen))
    return AuditResult(values, time.perf_counter() - began, len(cells), exact, know, truth)
