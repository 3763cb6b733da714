"""Which depot sends what to which site: a transportation problem per item.

For each item, with depot stock ``S_d`` and site gaps ``g_s``, solve

    minimise    Σ distance_ds · x_ds  +  M · Σ u_s
    subject to  Σ_d x_ds + u_s = g_s     (each gap is shipped or left unmet)
                Σ_s x_ds ≤ S_d           (no depot gives more than it holds)
                x, u ≥ 0

with HiGHS (``scipy.optimize.linprog``). Every depot can reach every site, so
with ``M`` above the longest route any unit left unmet while some depot
still has stock would be cheaper shipped: the optimum closes as much gap as
the stock allows, and among those plans moves units the shortest total
distance (nearest depots first). The constraint matrix is totally
unimodular, so whole-unit gaps and stocks give whole-unit lines.

Distances are straight lines in UTM 49N (``relief.domain.geo``): a
stand-in until road distances are available.

A kept plan then goes the steps a convoy has, one table, :data:`STEPS`:
``proposed → accepted → in_transit → delivered``, or ``cancelled`` before
it leaves. Each step names the permissions (``relief.domain.roles``) whose
holders may take it: a commander accepts (``dispatch.plan``), the depot's
warehouse keeper (``stock.move``) or a commander sends the convoy, and the
site manager (``site.manage``) confirms at the site what arrived
(:func:`received_quantities`: a short delivery is recorded, the default is
what was sent).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from relief.domain.frames import require_columns
from relief.domain.geo import project_xy
from relief.domain.roles import PERMISSIONS
from relief.domain.vocabulary import DISPATCH_ACTIONS, DISPATCH_PLAN_STATUSES, DispatchAction, DispatchPlanStatus
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

#: Quantities are multiples of this (~1e-6): whole units stay whole, and
#: floats add multiples of a power of two exactly, in any order.
_GRID = 2.0 ** -20


@dataclass(frozen=True)
class DispatchPlan:
    """``lines``: depot_id, site_id, item_code, quantity, distance_km.
    ``remainder``: site_id, item_code, quantity the stock could not cover."""

    lines: pd.DataFrame
    remainder: pd.DataFrame


def plan_dispatch(gaps: pd.DataFrame, depot_stock: pd.DataFrame, depots: pd.DataFrame,
                  sites: pd.DataFrame) -> DispatchPlan:
    """Plan shipments that close as much of the sites' gaps as depot stock allows, nearest first.

    Parameters
    ----------
    gaps : DataFrame
        site_id, item_code, quantity needed (e.g. ``cover.site_needs``);
        rows for the same site and item are added up, zero rows ignored.
    depot_stock : DataFrame
        depot_id, item_code, quantity available.
    depots, sites : DataFrame
        depot_id / site_id with WGS 84 lon, lat.

    Returns
    -------
    DispatchPlan
    """
    require_columns(gaps, ("site_id", "item_code", "quantity"), "gaps")
    require_columns(depot_stock, ("depot_id", "item_code", "quantity"), "depot_stock")
    need = _totals(gaps, "site_id", "gaps")
    have = _totals(depot_stock, "depot_id", "depot_stock")
    site_xy = _positions(sites, "site_id", "sites", need["site_id"])
    depot_xy = _positions(depots, "depot_id", "depots", have["depot_id"])
    lines, remainder = [], []
    for item, wanted in need.groupby("item_code", sort=True):
        stocked = have.loc[have["item_code"] == item]
        line, left = _plan_item(wanted, stocked, site_xy, depot_xy)
        lines.append(line.assign(item_code=item))
        remainder.append(left.assign(item_code=item))
    return DispatchPlan(
        _frame(lines, ["depot_id", "site_id", "item_code", "quantity", "distance_km"]),
        _frame(remainder, ["site_id", "item_code", "quantity"]),
    )


def _totals(frame: pd.DataFrame, holder: str, name: str) -> pd.DataFrame:
    """Positive quantities summed per holder and item; bad quantities refused."""
    if len(frame) == 0:
        return pd.DataFrame({holder: pd.Series(dtype=object), "item_code": pd.Series(dtype=object),
                             "quantity": pd.Series(dtype=float)})
    quantity = pd.to_numeric(frame["quantity"], errors="coerce").astype(float)
    if not (quantity >= 0).all() or not np.isfinite(quantity).all():
        raise ValidationFailed("quantity must be a finite, non-negative number", field=f"{name}.quantity")
    if frame[holder].isna().any() or frame["item_code"].isna().any():
        raise ValidationFailed(f"every row needs {holder} and item_code", field=f"{name}.{holder}")
    summed = frame.assign(quantity=quantity).groupby([holder, "item_code"], as_index=False, sort=True)["quantity"].sum()
    return summed.loc[summed["quantity"] > 0].reset_index(drop=True)


def _positions(places: pd.DataFrame, key: str, name: str, wanted: pd.Series) -> pd.DataFrame:
    """Projected x, y (metres) of the places named in ``wanted``, indexed by ``key``."""
    require_columns(places, (key, "lon", "lat"), name)
    if len(places) == 0:
        places = pd.DataFrame({key: pd.Series(dtype=object), "lon": pd.Series(dtype=float),
                               "lat": pd.Series(dtype=float)})
    table = places.drop_duplicates(key).set_index(key)
    missing = pd.Index(wanted.unique()).difference(table.index)
    if len(missing):
        raise ValidationFailed(f"{name} lacks {key} {missing[0]!r}", field=f"{name}.{key}")
    x, y = project_xy(table["lon"].to_numpy(dtype=float), table["lat"].to_numpy(dtype=float))
    if not (np.isfinite(x) & np.isfinite(y))[table.index.isin(wanted)].all():
        raise ValidationFailed(f"{name} need a position (lon, lat)", field=f"{name}.lon")
    return pd.DataFrame({"x": x, "y": y}, index=table.index)


def _plan_item(wanted: pd.DataFrame, stocked: pd.DataFrame, site_xy: pd.DataFrame,
               depot_xy: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines and remainder for one item (see the module docs for the model)."""
    gap = wanted["quantity"].to_numpy()
    if len(stocked) == 0:
        return _no_lines(), pd.DataFrame({"site_id": wanted["site_id"].to_numpy(), "quantity": gap})
    supply = stocked["quantity"].to_numpy()
    s_xy = site_xy.loc[wanted["site_id"]].to_numpy()
    d_xy = depot_xy.loc[stocked["depot_id"]].to_numpy()
    km = np.hypot(d_xy[:, None, 0] - s_xy[None, :, 0], d_xy[:, None, 1] - s_xy[None, :, 1]) / 1000.0
    n_d, n_s = km.shape
    penalty = km.max() + 1.0  # above any route: leaving a unit unmet never pays while stock remains
    cost = np.concatenate([km.ravel(), np.full(n_s, penalty)])
    x_index = np.arange(n_d * n_s).reshape(n_d, n_s)
    # each site: what arrives plus what stays unmet equals its gap
    a_eq = sparse.csr_matrix((np.ones(n_d * n_s + n_s),
                              (np.concatenate([np.tile(np.arange(n_s), n_d), np.arange(n_s)]),
                               np.concatenate([x_index.ravel(), n_d * n_s + np.arange(n_s)]))),
                             shape=(n_s, n_d * n_s + n_s))
    # each depot: what leaves stays within what it holds
    a_ub = sparse.csr_matrix((np.ones(n_d * n_s), (np.repeat(np.arange(n_d), n_s), x_index.ravel())),
                             shape=(n_d, n_d * n_s + n_s))
    result = linprog(cost, A_ub=a_ub, b_ub=supply, A_eq=a_eq, b_eq=gap, bounds=(0, None), method="highs")
    if result.status != 0:
        raise RuntimeError(f"dispatch LP failed: {result.message}")
    shipped = _on_grid(result.x[: n_d * n_s].reshape(n_d, n_s), supply)
    d_i, s_i = np.nonzero(shipped > 0)
    lines = pd.DataFrame({
        "depot_id": stocked["depot_id"].to_numpy()[d_i], "site_id": wanted["site_id"].to_numpy()[s_i],
        "quantity": shipped[d_i, s_i], "distance_km": km[d_i, s_i],
    })
    left = gap - shipped.sum(axis=0)
    unmet = left > _GRID * n_d  # below that it is the grid's rounding, not a shortage
    return lines, pd.DataFrame({"site_id": wanted["site_id"].to_numpy()[unmet], "quantity": left[unmet]})


def _on_grid(shipped: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Snap quantities to multiples of :data:`_GRID`, no depot's total above its stock.

    The solver meets constraints only to ~1e-7, and float sums depend on
    their order; on the grid every sum is exact, so however the ledger books
    the lines, a depot never goes below zero. A depot still over gives the
    excess back on its largest line.
    """
    units = np.rint(shipped / _GRID)
    cap = np.floor(supply / _GRID)  # dividing by a power of two is exact
    over = units.sum(axis=1) - cap
    for d in np.flatnonzero(over > 0):
        units[d, np.argmax(units[d])] -= over[d]
    return units * _GRID


def _no_lines() -> pd.DataFrame:
    return pd.DataFrame({"depot_id": pd.Series(dtype=object), "site_id": pd.Series(dtype=object),
                         "quantity": pd.Series(dtype=float), "distance_km": pd.Series(dtype=float)})


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("quantity", "distance_km") else object)
                             for c in columns})
    out = pd.concat(parts, ignore_index=True)[columns]
    return out.sort_values([c for c in ("item_code", "site_id", "depot_id") if c in columns], ignore_index=True)


# --- the steps a plan goes ---------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One row of the plan's lifecycle: ``action`` moves ``sources`` → ``target``, for ``permissions``' holders."""

    action: str
    sources: frozenset[str]
    target: str
    permissions: frozenset[str]

    @property
    def roles(self) -> frozenset[str]:
        """Every role holding one of the step's permissions (admin holds them all in the roles table)."""
        return frozenset().union(*(PERMISSIONS[p] for p in self.permissions))


def _step(action: str, sources: Iterable[str], target: str, permissions: Iterable[str]) -> Step:
    permissions = frozenset(permissions)
    unknown = permissions - set(PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions {sorted(unknown)}")
    return Step(action, frozenset(sources), target, permissions)


_S, _A = DispatchPlanStatus, DispatchAction

#: The plan's lifecycle. Stock moves with two of the steps (the service books them): at ``dispatch`` the
#: lines leave their depots, at ``deliver`` what arrived enters the sites. Cancelling is possible only
#: while nothing has left.
STEPS: tuple[Step, ...] = (
    _step(_A.ACCEPT, {_S.PROPOSED}, _S.ACCEPTED, {"dispatch.plan"}),
    _step(_A.DISPATCH, {_S.ACCEPTED}, _S.IN_TRANSIT, {"stock.move", "dispatch.plan"}),
    _step(_A.DELIVER, {_S.IN_TRANSIT}, _S.DELIVERED, {"site.manage"}),
    _step(_A.CANCEL, {_S.PROPOSED, _S.ACCEPTED}, _S.CANCELLED, {"dispatch.plan"}),
)
_BY_ACTION: dict[str, Step] = {s.action: s for s in STEPS}
#: Statuses no step leaves.
FINAL_STATUSES: frozenset[str] = frozenset(DISPATCH_PLAN_STATUSES) - {s for row in STEPS for s in row.sources}


def allowed_steps(status: str, role: str | None) -> list[str]:
    """The actions ``role`` may take on a plan in ``status``, in table order."""
    return [s.action for s in STEPS if status in s.sources and role in s.roles]


def take_step(status: str, action: str, role: str | None) -> str:
    """The status after ``role`` takes ``action`` on a plan in ``status``.

    Raises :class:`Forbidden` when the role may never take the action (whatever the plan's state), and
    :class:`TransitionRefused` when it could, but not from this status; its detail names the status and
    the actions the role has there.
    """
    if status not in DISPATCH_PLAN_STATUSES:
        raise ValidationFailed(f"unknown dispatch plan status {status!r}", field="status")
    row = _BY_ACTION.get(action)
    if row is None:
        raise ValidationFailed(f"unknown action {action!r}; expected one of {', '.join(DISPATCH_ACTIONS)}",
                               field="action")
    if role not in row.roles:
        raise Forbidden(f"role {role!r} may not {action} a dispatch plan", field="role")
    if status not in row.sources:
        options = allowed_steps(status, role)
        raise TransitionRefused(f"cannot {action} a dispatch plan that is {status}; allowed: "
                                f"{', '.join(options) if options else 'none'}", field="plan_id",
                                detail={"status": status, "action": action, "allowed_actions": options})
    return row.target


def received_quantities(sent: Sequence[float], received: Mapping[int, float]) -> list[float]:
    """What arrived per line: ``received[line]`` where given, else all that was sent.

    A line number outside the plan, or a quantity below zero or above what was sent, is refused naming
    ``received[<line>]``: more cannot arrive than left, and a loss is recorded as a short delivery.
    """
    out = [float(q) for q in sent]
    for line, quantity in received.items():
        field = f"received[{line}]"
        if not (isinstance(line, int) and 0 <= line < len(out)):
            raise ValidationFailed(f"the plan has no line {line!r} (lines 0 to {len(out) - 1})", field=field)
        if not np.isfinite(quantity) or quantity < 0 or quantity > out[line]:
            raise ValidationFailed(f"{field} must be between 0 and {out[line]:g}, the quantity sent", field=field)
        out[line] = float(quantity)
    return out
