"""Rank candidate values of a model default on the populations' splits.

    python -m benchmarks.tune_defaults l2 0.0003,0.001,0.003 results.json
    python -m benchmarks.tune_defaults lr 0.05,0.1 results.json

``l2``: the scorecard's ridge penalty as a share of the smaller class
(``benne.models.estimators.L2_SHARE``); ``lr``: the challenger's learning rate (its round
count still chosen by its own cross-validation). Each value is fitted on the same 5 stratified
70/30 splits of every set as ``bench_populations`` (every column allowed); the mean AUC,
log-loss, calibration slope, fit seconds and, for the challenger, rounds per set and value are
printed and every split's metrics written to the JSON file. The tables in docs/models.md come
from it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import benne.models.estimators as estimators
from benchmarks.bench_populations import SETS, load_set, metrics, stratified_test
from benne.models import TrainSettings, train_challenger, train_scorecard


def _fitter(what: str, value: float, special: tuple[float, ...]
            ) -> Callable[[pd.DataFrame], Any]:
    if what == "l2":
        estimators.L2_SHARE = value
        settings = TrainSettings(special_values=special, allow_protected=True)
        return lambda t: train_scorecard(t, "target", settings=settings)
    if what == "lr":
        settings = TrainSettings(special_values=special, allow_protected=True,
                                 challenger_learning_rate=value)
        return lambda t: train_challenger(t, "target", settings=settings)
    raise SystemExit(f"unknown default {what!r}: l2 or lr")


def main(argv: list[str] | None = None) -> int:
    what, values, path = sys.argv[1:] if argv is None else argv
    out: dict[str, dict[str, list[dict[str, float]]]] = {}
    for name in SETS:
        full, meta, first = load_set(name)
        y = full["target"].to_numpy()
        tests = [first] + [stratified_test(y, seed) for seed in range(1, 5)]
        special = tuple(float(v) for v in meta.get("special_values") or [])
        for value in (float(v) for v in values.split(",")):
            fit = _fitter(what, value, special)
            rows = []
            for test in tests:
                t0 = time.perf_counter()
                model = fit(full[~test].reset_index(drop=True))
                p = model.predict_pd(full[test].drop(columns=["target"]).reset_index(drop=True))
                rows.append({**metrics(y[test], p), "fit_s": time.perf_counter() - t0,
                             "rounds": float(getattr(model, "best_iteration", 0))})
            out.setdefault(name, {})[str(value)] = rows
            print(name, value, *(round(float(np.mean([r[k] for r in rows])), 5)
                                 for k in ("auc", "logloss", "slope", "fit_s", "rounds")),
                  flush=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
