"""Build a validation report as plain data: numbers, tables and the points of every curve.

Nothing here draws or formats; :mod:`benne.report.html` turns a :class:`Report` into a page.
Rows without a target (people with no credit product) are scored and counted but left out of
every outcome metric. The risk a metric ranks by is the model's probability of default when
the frame has a ``pd`` column, otherwise the negated score (a higher score is safer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from benne.dimensions import FeatureMeta
from benne.exceptions import InputError
from benne.models.settings import Scale, band_pd_ranges
from benne.report import fairness, metrics, monitor, segments, tables

__all__ = ["MODEL_CARD_FIELDS", "SECTIONS", "Report", "build_report"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("data", "Data"),
    ("discrimination", "Discrimination"),
    ("distribution", "Score distribution"),
    ("calibration", "Calibration"),
    ("features", "Features"),
    ("stability", "Stability"),
    ("fairness", "Fairness"),
    ("segments", "Thin file and thick file"),
    ("model_card", "Model card"),
)
MODEL_CARD_FIELDS: tuple[tuple[str, str], ...] = (
    ("model", "Model"),
    ("outcome", "Outcome predicted"),
    ("intended_use", "Intended use"),
    ("data", "Data"),
    ("window", "Training window"),
    ("limitations", "Limitations"),
    ("do_not_score", "Who not to score"),
)
_RESERVED = {"score", "pd", "band", "person_id", "as_of", "model_version", "observed_at",
             "decision_id", "thin_file", "label_status"}


@dataclass
class Report:
    """Everything a report shows, as plain data (``to_dict`` gives JSON-ready structure)."""

    title: str
    generated_at: str
    cutoff: int
    data: dict[str, Any] = field(default_factory=dict)
    discrimination: dict[str, Any] = field(default_factory=dict)
    distribution: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)
    stability: dict[str, Any] = field(default_factory=dict)
    fairness: dict[str, Any] = field(default_factory=dict)
    segments: dict[str, Any] = field(default_factory=dict)
    shops: dict[str, Any] = field(default_factory=lambda: {"available": False})
    model_card: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _target(frame: pd.DataFrame, target: str, name: str) -> pd.Series:
    if target not in frame.columns:
        raise InputError(
            f"the {name} has no target column {target!r}",
            where=f"column {target}",
            fix="name the 0/1 bad column with --target",
        )
    y = pd.to_numeric(frame[target], errors="coerce").astype(float)
    bad = y.notna() & ~y.isin([0.0, 1.0])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"target must be 0 (good), 1 (bad) or empty; got {frame[target].iloc[row - 1]!r}",
            where=f"{name}, row {row}, field {target}",
            fix="recode the target as 0/1",
        )
    return y


def _risk(frame: pd.DataFrame) -> pd.Series:
    if "pd" in frame.columns:
        return pd.to_numeric(frame["pd"], errors="coerce").astype(float)
    if "score" in frame.columns:
        return -pd.to_numeric(frame["score"], errors="coerce").astype(float)
    raise InputError("scored data has neither a pd nor a score column", where="column score",
                     fix="score the data with the model first")


def _as_of(frame: pd.DataFrame, as_of: date | None) -> date | None:
    if as_of is not None or "as_of" not in frame.columns:
        return as_of
    latest = pd.to_datetime(frame["as_of"]).max()
    return None if pd.isna(latest) else latest.date()


def _features(
    scored: pd.DataFrame,
    protected: Sequence[str],
    target: str,
    scorecard_table: pd.DataFrame | None,
    feature_meta: Mapping[str, FeatureMeta] | None,
) -> list[str]:
    if feature_meta:
        names = list(feature_meta)
    elif scorecard_table is not None:
        names = list(dict.fromkeys(scorecard_table["feature"].astype(str)))
    else:
        skip = _RESERVED | set(protected) | {target}
        names = [c for c in scored.columns if "__" in c and c not in skip]
    return [n for n in names if n in scored.columns]


def _data_section(scored: pd.DataFrame, y: pd.Series, features: list[str]) -> dict[str, Any]:
    labelled = y.notna()
    by_source: dict[str, list[str]] = {}
    for f in features:
        by_source.setdefault(f.split("__", 1)[0] if "__" in f else "table", []).append(f)
    sources = [
        {"source": s, "features": len(cols),
         "coverage": float(scored[cols].notna().any(axis=1).mean()) if len(scored) else 0.0}
        for s, cols in by_source.items()
    ]
    missing = [{"feature": f, "missing": float(scored[f].isna().mean())} for f in features]
    return {
        "rows": len(scored),
        "labelled": int(labelled.sum()),
        "bads": int(y[labelled].sum()),
        "bad_rate": float(y[labelled].mean()) if labelled.any() else float("nan"),
        "sources": sources,
        "missing": missing,
    }


def _model_metrics(frame: pd.DataFrame, y: pd.Series, seed: int, n_boot: int) -> dict[str, Any]:
    risk = _risk(frame)
    m = (y.notna() & risk.notna()).to_numpy()
    r, t = risk.to_numpy()[m], y.to_numpy()[m].astype(int)
    if len(np.unique(t)) < 2:
        return {"available": False, "reason": "the labelled rows hold only one class"}
    ci = metrics.bootstrap_ci(r, t, n_boot=n_boot, seed=seed)
    fpr, tpr = metrics.roc_curve(r, t)
    axis = "score" if "score" in frame.columns else "pd"
    x, cdf_bad, cdf_good = metrics.ks_curve(frame[axis].to_numpy(dtype=float)[m], t)
    return {
        "available": True,
        "n": int(m.sum()),
        **{k: dataclasses.asdict(v) for k, v in ci.items()},
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "ks_curve": {"axis": axis, "x": x.tolist(), "bad": cdf_bad.tolist(),
                     "good": cdf_good.tolist()},
    }


def _band_pd(rows: list[dict[str, Any]], scale: Scale | None) -> None:
    """Each band row gets its documented PD range and whether the observed bad rate agrees
    with it (its 95 % Clopper-Pearson interval meets the range)."""
    from scipy.stats import beta

    ranges = {r["band"]: r for r in band_pd_ranges(scale)}
    for row in rows:
        r = ranges.get(str(row["group"]))
        if r is None:
            continue
        row["pd_low"], row["pd_high"] = r["pd_low"], r["pd_high"]
        n = int(row.get("labelled") or row.get("count") or 0)
        rate = row.get("bad_rate")
        if not n or rate is None or (isinstance(rate, float) and np.isnan(rate)):
            continue
        bad = int(round(float(rate) * n))
        lo = float(beta.ppf(0.025, bad, n - bad + 1)) if bad else 0.0
        hi = float(beta.ppf(0.975, bad + 1, n - bad)) if bad < n else 1.0
        row["in_range"] = bool(lo <= r["pd_high"] and hi >= r["pd_low"])


def _distribution(scored: pd.DataFrame, y: pd.Series, scale: Scale | None = None
                  ) -> dict[str, Any]:
    score = scored["score"].astype(float)
    pdv = scored["pd"].astype(float) if "pd" in scored.columns else None
    edges = np.histogram_bin_edges(score.to_numpy(), bins=30)
    hist = {
        "edges": edges.tolist(),
        "good": np.histogram(score[y == 0], edges)[0].tolist(),
        "bad": np.histogram(score[y == 1], edges)[0].tolist(),
        "unlabelled": np.histogram(score[y.isna()], edges)[0].tolist(),
    }
    deciles = tables.decile_table(score, y, pdv)
    out: dict[str, Any] = {
        "histogram": hist,
        "deciles": deciles,
        "deciles_monotone": tables.is_monotone([float(r["bad_rate"]) for r in deciles]),
    }
    if "band" in scored.columns:
        bands = tables.band_table(score, y, scored["band"], pdv)
        _band_pd(bands, scale)
        out["bands"] = bands
        out["bands_monotone"] = tables.is_monotone([float(r["bad_rate"]) for r in bands])
    return out


def _calibration(scored: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    if "pd" not in scored.columns:
        return {"available": False, "reason": "the scored data has no pd column"}
    m = y.notna().to_numpy()
    p, t = scored["pd"].to_numpy(dtype=float)[m], y.to_numpy()[m].astype(int)
    if len(t) == 0:
        return {"available": False, "reason": "no labelled rows"}
    h, p_value = metrics.hosmer_lemeshow(p, t)
    return {
        "available": True,
        "table": metrics.calibration_table(p, t),
        "brier": metrics.brier(p, t),
        "hosmer_lemeshow": h,
        "hl_p_value": p_value,
    }


def _features_section(
    scored: pd.DataFrame,
    y: pd.Series,
    features: list[str],
    scorecard_table: pd.DataFrame | None,
    feature_meta: Mapping[str, FeatureMeta] | None,
) -> dict[str, Any]:
    if scorecard_table is not None:
        per = tables.scorecard_bins(scorecard_table)
        source = "scorecard"
    else:
        m = y.notna()
        per = {f: tables.data_bins(scored.loc[m, f], y[m]) for f in features}
        source = "data"
    meta = feature_meta or {}
    items = []
    for name, body in sorted(per.items(), key=lambda kv: -float(kv[1]["iv"])):
        fm = meta.get(name)
        items.append({
            "name": name,
            "dimension": fm.dimension if fm else "",
            "description": fm.description if fm else "",
            **body,
        })
    return {"source": source, "items": items}


def _stability(
    scored: pd.DataFrame, baseline: pd.DataFrame | None, features: list[str]
) -> dict[str, Any]:
    if baseline is None:
        return {"available": False, "reason": "no baseline sample was given"}
    cols = ["score"] + [f for f in features if f in baseline.columns]
    rows = monitor.stability_table(baseline, scored, cols)
    return {
        "available": True,
        "watch": monitor.WATCH,
        "drift": monitor.DRIFT,
        "rows": [dataclasses.asdict(r) for r in rows],
        "score_bins": metrics.psi_bins(
            baseline["score"].to_numpy(dtype=float), scored["score"].to_numpy(dtype=float)
        ),
    }


def _fairness(
    scored: pd.DataFrame,
    y: pd.Series,
    protected: Sequence[str],
    as_of: date | None,
    switched: pd.DataFrame | None,
    target: str,
    cutoff: int | None,
    approval_rate: float,
    feature_points: pd.DataFrame | None,
    others_switched: pd.DataFrame | None,
    others_features: Sequence[str],
) -> dict[str, Any]:
    frame = scored.assign(**{target: y})
    groups = fairness.protected_groups(scored, protected, as_of)
    score = scored["score"].to_numpy(dtype=float)
    cuts = fairness.choose_cutoffs(score, approval_rate=approval_rate, extra=cutoff)
    main = next(c["cutoff"] for c in cuts if c.get("main"))
    attributes = []
    for name, labels in groups.items():
        at = [{**c, "rows": fairness.group_table(frame, labels, target=target,
                                                 cutoff=c["cutoff"])} for c in cuts]
        rows = next(a["rows"] for a in at if a["cutoff"] == main)
        attributes.append({"name": name, "rows": rows, "cutoffs": at})
    out: dict[str, Any] = {
        "min_group": fairness.MIN_GROUP,
        "cutoffs": cuts,
        "main_cutoff": main,
        "approval_rate": approval_rate,
        "attributes": attributes,
        "others_features": list(others_features),
    }
    if switched is not None:
        out["switch_off"] = fairness.switch_off_effect(frame, switched, groups, target=target,
                                                       cutoff=main)
    if others_switched is not None:
        out["others_data"] = fairness.switch_off_effect(frame, others_switched, groups,
                                                        target=target, cutoff=main)
    if feature_points is not None and groups:
        out["proxy"] = fairness.proxy_check(score, feature_points.reset_index(drop=True),
                                            groups, cutoff=main)
    return out


def build_report(
    scored: pd.DataFrame,
    *,
    challenger_scored: pd.DataFrame | None = None,
    scorecard_table: pd.DataFrame | None = None,
    baseline: pd.DataFrame | None = None,
    protected: Sequence[str] = (),
    feature_meta: Mapping[str, FeatureMeta] | None = None,
    model_card: Mapping[str, str] | None = None,
    no_relationships_scored: pd.DataFrame | None = None,
    cutoff: int | None = None,
    approval_rate: float = 0.5,
    feature_points: pd.DataFrame | None = None,
    no_others_data_scored: pd.DataFrame | None = None,
    others_features: Sequence[str] = (),
    scale: Scale | None = None,
    generated_at: str,
    target: str = "target",
    as_of: date | None = None,
    title: str = "benne model report",
    seed: int = 0,
    n_boot: int = 200,
    segment: str | None = "thin_file",
    latent: str | None = None,
    entity: str = "person",
) -> Report:
    """Compute every section of the report from scored frames.

    ``scored`` holds ``score`` (and ideally ``pd`` and ``band``), the ``target`` (0/1, empty
    for unlabelled rows), the ``protected`` columns and the model's features.
    ``challenger_scored`` holds ``pd`` or ``score`` for the same rows in the same order (its
    own target column is used when it has one). ``no_relationships_scored`` is ``scored`` again
    with the interpersonal features switched off, ``no_others_data_scored`` with the features
    built from other people's data (``others_features``) switched off. Fairness is measured at
    the cut-offs of :func:`benne.report.fairness.choose_cutoffs` (``cutoff`` adds one);
    ``feature_points`` (the scorecard's points per person and feature) feeds the proxy check.
    ``as_of`` turns birth years into ages; by default it is the latest ``as_of`` in ``scored``.
    ``scale`` (default: the default scale) gives each band's documented range of probability
    of default. ``segment`` names the 0/1
    thin-file column (validated per segment when present) and ``latent`` a column of latent
    truth (a simulation's creditworthiness) to rank-correlate the score with per segment.
    """
    if "score" not in scored.columns:
        raise InputError("the scored data has no score column", where="column score",
                         fix="score the data with the model first")
    y = _target(scored, target, "scored data")
    feats = _features(scored, protected, target, scorecard_table, feature_meta)
    models = {"champion": _model_metrics(scored, y, seed, n_boot)}
    if challenger_scored is not None:
        if len(challenger_scored) != len(scored):
            raise InputError(
                "the challenger's scores do not hold the same rows as the champion's",
                where=f"{len(challenger_scored)} rows against {len(scored)}",
                fix="score the same frame with both models",
            )
        cy = _target(challenger_scored, target, "challenger scores") \
            if target in challenger_scored.columns else y
        models["challenger"] = _model_metrics(challenger_scored, cy, seed, n_boot)
    card = dict(model_card or {})
    fair = _fairness(scored, y, protected, _as_of(scored, as_of), no_relationships_scored,
                     target, cutoff, approval_rate, feature_points, no_others_data_scored,
                     others_features)
    return Report(
        title=title,
        generated_at=generated_at,
        cutoff=fair["main_cutoff"],
        data=_data_section(scored, y, feats),
        discrimination={"models": models, "n_boot": n_boot, "seed": seed},
        distribution=_distribution(scored, y, scale),
        calibration=_calibration(scored, y),
        features=_features_section(scored, y, feats, scorecard_table, feature_meta),
        stability=_stability(scored, baseline, feats),
        fairness=fair,
        segments=segments.segment_section(scored, y, segment=segment, latent=latent,
                                          scorecard_table=scorecard_table, seed=seed,
                                          n_boot=n_boot, entity=entity),
        model_card=[(label, str(card.get(key, "not stated"))) for key, label in MODEL_CARD_FIELDS],
    )
