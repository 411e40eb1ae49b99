"""The scikit-learn estimators: :class:`Scorecard` and :class:`Challenger`.

Both follow the scikit-learn contract (``__init__`` stores its arguments, ``fit`` validates
them, learned attributes end in ``_``, ``clone``/``get_params``/``Pipeline``/grid search work)
and take ``sample_weight``. What they learn is the model the rest of benne saves and scores
(``model_``: a :class:`~benne.models.scorecard.ScorecardModel` or
:class:`~benne.models.challenger.ChallengerModel`), and ``benne train`` fits exactly these
estimators (:func:`scorecard_from_settings`, :func:`challenger_from_settings`), so the command
line and the API are one implementation.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.base import BaseEstimator, ClassifierMixin

from benne.binning.binner import CategoricalBinner
from benne.binning.kinds import as_frame, binary_target
from benne.binning.process import BinningProcess
from benne.binning.stats import _weights
from benne.dimensions import FeatureMeta
from benne.exceptions import InvalidValueError
from benne.models.binfit import BinLayout, fit_bin_logit
from benne.models.challenger import (
    MONOTONE,
    ChallengerModel,
    available_cores,
    import_lightgbm,
    model_text,
)
from benne.models.data import auto_meta
from benne.models.scorecard import (
    MAX_CORR_ROWS,
    OOF_P_FACTOR,
    ScorecardFeature,
    ScorecardModel,
    _g_test_p,
    _oof_screen,
    _points,
    _prune_correlated,
)
from benne.models.settings import Scale, TrainSettings

__all__ = ["L2_SHARE", "Challenger", "Scorecard", "challenger_from_settings",
           "scorecard_from_settings"]

# The scorecard's ridge penalty per observation of the smaller class (``l2="auto"``): chosen
# by rank over the public credit sets of the multi-population benchmark (see BENCHMARKS.md).
L2_SHARE = 0.003


class Scorecard(ClassifierMixin, BaseEstimator):
    """The scorecard as a scikit-learn classifier: binning, selection, a fit on the bins, points.

    Parameters
    ----------
    binning : BinningProcess, optional
        How columns are binned (cloned at fit; default ``BinningProcess()``). Directions given
        by ``meta`` fill its ``directions`` when it has none.
    estimator : classifier, optional
        The model on the selected columns' WoE (cloned at fit), e.g.
        ``LogisticRegression()``; each bin's logit term is then its coefficient times its WoE.
        ``None`` (default) fits benne's joint bin-level logistic regression, which keeps each
        feature's bins in the order of their own WoE (:mod:`benne.models.binfit`).
    scale : Scale, optional
        The points scale (default ``Scale()``: 600 points at 50:1, 40 to double the odds).
    min_iv, max_p, max_corr, l2 : selection and regularisation (see the module docstring).
    meta : mapping of column -> FeatureMeta, optional
        Dimension, direction, description and tip of named columns (others get neutral ones).

    Attributes
    ----------
    binning_ : the fitted BinningProcess
    estimator_ : the fitted ``estimator`` (None for the built-in fit)
    model_ : ScorecardModel, what is saved and scored (bins, logit terms, integer points)
    selection_ : dict, every column's IV, p-value, status and why
    classes_, n_features_in_, feature_names_in_ : as in scikit-learn

    ``score(X)`` gives the 350–950 credit score of each row; ``score(X, y)`` keeps
    scikit-learn's meaning (a figure of merit, here the ROC AUC), so grid searches work.
    """

    def __init__(self, binning: Any = None, estimator: Any = None, scale: Scale | None = None,
                 *, min_iv: float = TrainSettings.min_iv, max_p: float = TrainSettings.max_p,
                 max_corr: float = TrainSettings.max_corr, l2: float | str = "auto",
                 meta: Mapping[str, FeatureMeta] | None = None) -> None:
        self.binning = binning
        self.estimator = estimator
        self.scale = scale
        self.min_iv = min_iv
        self.max_p = max_p
        self.max_corr = max_corr
        self.l2 = l2
        self.meta = meta

    def _l2(self, bad: np.ndarray, w: np.ndarray | None) -> float:
        """The ridge penalty in observations: ``l2`` as given, or for ``"auto"`` ``L2_SHARE``
        of the smaller class (bads, usually), so the shrinkage keeps its strength relative to
        the evidence from a few hundred rows to millions."""
        if self.l2 != "auto":
            return float(self.l2)
        ww = np.ones(bad.size) if w is None else w
        n_bad = float(ww[bad == 1].sum())
        return L2_SHARE * min(n_bad, float(ww.sum()) - n_bad)

    def _check_params(self) -> None:
        l2_ok = self.l2 == "auto" or (isinstance(self.l2, float | int) and self.l2 >= 0)
        checks = [("min_iv", self.min_iv >= 0, ">= 0"), ("max_p", 0 < self.max_p <= 1, "in (0, 1]"),
                  ("max_corr", 0 < self.max_corr <= 1, "in (0, 1]"),
                  ("l2", l2_ok, "'auto' or a number >= 0")]
        for name, ok, want in checks:
            if not ok:
                raise InvalidValueError(f"{name} must be {want}; got {getattr(self, name)!r}",
                                        where=f"Scorecard({name}=...)", fix=f"pass {name} {want}")
        if self.scale is not None and not isinstance(self.scale, Scale):
            raise InvalidValueError(f"scale must be a benne Scale; got {self.scale!r}",
                                    where="Scorecard(scale=...)", fix="pass Scale(...)")

    def _binning_for(self, names: list[str]) -> tuple[dict[str, FeatureMeta], BinningProcess]:
        """The columns' metadata and an unfitted clone of ``binning``, told each column's
        declared direction unless it names its own."""
        from sklearn.base import clone

        metas = {c: (self.meta or {}).get(c) or auto_meta(c) for c in names}
        bp = clone(self.binning) if self.binning is not None else BinningProcess()
        if not isinstance(bp, BinningProcess):
            raise InvalidValueError(f"binning must be a BinningProcess; got {bp!r}",
                                    where="Scorecard(binning=...)", fix="pass BinningProcess(...)")
        if bp.directions is None:
            bp.set_params(directions={c: metas[c].direction for c in names
                                      if metas[c].direction != "auto"})
        return metas, bp

    def fit(self, X: object, y: object, sample_weight: object = None) -> Scorecard:
        """Bin, select and fit on rows ``X`` with the two-class target ``y`` (second = bad)."""
        self._check_params()
        frame = as_frame(self, X, reset=True)
        bad = binary_target(self, y, len(frame))
        yb = bad.astype(np.int8)
        w = _weights(sample_weight, len(frame))
        names = [str(c) for c in frame.columns]
        metas, bp = self._binning_for(names)
        bp.fit(frame, yb, sample_weight=w)

        def rows(cands: list[int]) -> tuple[dict[int, np.ndarray], np.ndarray,
                                            np.ndarray | None]:
            return {j: bp.column_bins(frame, j) for j in cands}, yb, w

        def oof(j: int) -> tuple[float, float]:
            cat = bp.binners_[j]
            assert isinstance(cat, CategoricalBinner)
            return _oof_screen(cat, frame[names[j]], bad, w)

        return self._fit_binned(bp, names, metas, rows, oof)

    def fit_counts(self, counts: Mapping[str, Any], combos: Any) -> Scorecard:
        """Fit from statistics an engine summed, never from rows: ``counts`` the per-value
        good/bad counts of each column (:class:`~benne.binning.ColumnCounts`, in column
        order) bin every column as :meth:`fit` would; ``combos(binning, columns)`` then gives
        the good/bad counts of each combination of the bins of the candidate ``columns``
        (a frame with one column per candidate holding bin indices, ``bad`` 0/1 and ``n``
        rows), the sufficient statistic of the joint bin-level fit and of the WoE
        correlations. Each combination counts as a row weighted by its rows, so the model is
        the one :meth:`fit` finds on the rows up to floating-point summation order (and, above
        :data:`~benne.models.binfit.MAX_FIT_ROWS` combinations, the evenly spaced subsample of
        the combinations rather than of the rows)."""
        self._check_params()
        names = [str(c) for c in counts]
        if not names:
            raise InvalidValueError("no columns to fit", where="Scorecard.fit_counts",
                                    fix="give the counts of at least one column")
        metas, bp = self._binning_for(names)
        bp.fit_counts(counts)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(names)
        self.feature_names_in_ = np.asarray(names, dtype=object)

        def rows(cands: list[int]) -> tuple[dict[int, np.ndarray], np.ndarray,
                                            np.ndarray | None]:
            table = combos(bp, [names[j] for j in cands])
            keys = [names[j] for j in cands] + ["bad"]  # one canonical order of the rows
            order = np.lexsort([table[c].to_numpy() for c in reversed(keys)])
            table = table.iloc[order].reset_index(drop=True)
            bins = {j: table[names[j]].to_numpy(dtype=np.int64) for j in cands}
            return (bins, table["bad"].to_numpy(dtype=np.int8),
                    table["n"].to_numpy(dtype=np.float64))

        return self._fit_binned(bp, names, metas, rows)

    def _fit_binned(self, bp: BinningProcess, names: list[str],
                    metas: Mapping[str, FeatureMeta], rows: Any,
                    oof: Callable[[int], tuple[float, float]] | None = None) -> Scorecard:
        """Selection, the joint fit and the points, once every column is binned; ``rows``
        gives the candidates' bin indices, the 0/1 target and the weights; ``oof(j)`` the
        out-of-fold IV and G-test p of categorical column ``j`` (fits on rows only)."""
        self.binning_ = bp
        scale = self.scale or Scale()
        binners = bp.binners_
        selection: dict[str, dict[str, Any]] = {}
        cands = []
        for j, c in enumerate(names):
            iv, p = binners[j].iv_, _g_test_p(binners[j])
            entry: dict[str, Any] = {"iv": iv, "p": p, "status": "low iv"}
            where, level = "", self.max_p
            if bp.kinds_[j] == "categorical" and iv >= self.min_iv and p < self.max_p:
                # screened out of fold (see scorecard); in sample it is only more optimistic.
                # From counts there are no rows to fold: the in-sample screen stands there.
                if oof is not None:
                    iv, p = oof(j)
                    entry.update(iv_oof=iv, p=p)
                    where, level = " out of fold", min(1.0, OOF_P_FACTOR * self.max_p)
            why = (f"IV{where} < {self.min_iv}" if iv < self.min_iv else
                   f"not significant{where} (G-test p = {p:.3g} >= {level:.3g})"
                   if p >= level else "")
            selection[c] = {**entry, "why": why}
            if not why:
                cands.append(j)
        if not cands:
            cands = [max(range(len(names)), key=lambda j: (binners[j].iv_, -j))]
        bins, yb, w = rows(cands)
        woe_iv = np.array([binners[j].iv_ for j in cands])
        step = -(-len(yb) // MAX_CORR_ROWS)  # evenly spaced rows above MAX_CORR_ROWS
        kept, dropped = _prune_correlated(
            np.column_stack([binners[j].woe_[bins[j][::step]] for j in cands]), woe_iv,
            self.max_corr, None if w is None else w[::step])
        for a, k in dropped.items():
            selection[names[cands[a]]].update(status="correlated",
                                              why=f"|r| > {self.max_corr} with {names[cands[k]]}")
        active = sorted(kept)  # frame order
        if self.estimator is None:
            self.estimator_ = None
            layouts = [BinLayout.from_woe(binners[cands[a]].woe_, binners[cands[a]].empty_)
                       for a in active]
            intercept, logits = fit_bin_logit([bins[cands[a]] for a in active], layouts, yb,
                                              self._l2(yb, w), w)
        else:
            from sklearn.base import clone

            est = clone(self.estimator)
            woe = np.column_stack([binners[cands[a]].woe_[bins[cands[a]]] for a in active])
            fit_kw = {} if w is None else {"sample_weight": w}
            est.fit(woe, yb, **fit_kw)
            coef = np.ravel(est.coef_)
            intercept = float(np.ravel(est.intercept_)[0])
            logits = [coef[i] * binners[cands[a]].woe_ for i, a in enumerate(active)]
            self.estimator_ = est
        chosen = []
        for a, logit in zip(active, logits, strict=True):
            b = binners[cands[a]]
            if np.ptp(np.rint(scale.factor * logit[~b.empty_])) > 0:
                chosen.append((metas[names[cands[a]]], b, logit))
            else:
                selection[names[cands[a]]].update(
                    status="no effect", why="its bins differ by less than a point in the joint fit")
        if not chosen:  # nothing to score with: keep the strongest column with its neutral terms
            a = max(active, key=lambda a: (woe_iv[a], -a))
            chosen = [(metas[names[cands[a]]], binners[cands[a]], logits[active.index(a)])]
        points = _points(chosen, intercept, scale)
        feats = [ScorecardFeature(m, b, lg, p)
                 for (m, b, lg), p in zip(chosen, points, strict=True)]
        for f in feats:
            selection[f.name].update(status="selected", why="")
        model = ScorecardModel(feats, intercept, scale, selection)
        digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()
        model.model_version = f"sc-{digest[:12]}"
        self.model_ = model
        self.selection_ = selection
        return self

    def _frame(self, X: object) -> pd.DataFrame:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return as_frame(self, X, reset=False)

    def predict_proba(self, X: object) -> np.ndarray:
        """``(n, 2)`` probabilities of the two classes (the second: bad)."""
        frame = self._frame(X)
        p = self.model_.predict_pd(frame)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: object) -> np.ndarray:
        """The logit of bad."""
        p = np.clip(self.predict_proba(X)[:, 1], 1e-15, 1 - 1e-15)
        return np.log(p / (1.0 - p))

    def predict(self, X: object) -> np.ndarray:
        """The more likely class of each row."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p > 0.5).astype(int)]

    def score(self, X: object, y: object = None, sample_weight: object = None) -> Any:
        """Without ``y``: the integer credit score of each row (higher = safer). With ``y``:
        the ROC AUC of the predicted bad probability, scikit-learn's figure of merit."""
        if y is None:
            frame = self._frame(X)
            return self.model_.score(frame)
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(np.asarray(y) == self.classes_[1],
                                   self.predict_proba(X)[:, 1], sample_weight=sample_weight))

    def reasons(self, X: object, n: int = 4) -> pd.DataFrame:
        """The ``n`` features that cost each row the most points against their best bin:
        ``reason_i`` (feature name, missing when fewer lost points) and ``reason_i_points``."""
        frame = self._frame(X)
        m = self.model_
        points = m.points_matrix(m.bin_matrix(frame))
        best = np.array([f.max_points for f in m.features], dtype=np.int64)
        lost = best[None, :] - points
        order = np.argsort(-lost, axis=1, kind="stable")[:, :n]
        names = np.asarray(m.feature_names + [None], dtype=object)
        out = {}
        for i in range(min(n, len(m.features))):
            j = order[:, i]
            amount = np.take_along_axis(lost, j[:, None], axis=1)[:, 0]
            out[f"reason_{i + 1}"] = np.where(amount > 0, names[j], np.array(None, dtype=object))
            out[f"reason_{i + 1}_points"] = np.maximum(amount, 0)
        return pd.DataFrame(out, index=getattr(X, "index", None))

    def table(self) -> pd.DataFrame:
        """Every bin of every feature in the scorecard, with its logit term and points."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return self.model_.table()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


class Challenger(ClassifierMixin, BaseEstimator):
    """The challenger as a scikit-learn classifier: monotone LightGBM, rounds and calibration
    chosen by internal cross-validation, then refit on every row.

    ``fit`` runs ``cv``-fold stratified cross-validation of the booster with early stopping
    (the round count where the mean validation log-loss is best), fits the Platt calibration on
    the out-of-fold margins of those folds, and trains the shipped booster on **all** rows for
    that many rounds: no row is set aside, and the calibration never sees a margin of a booster
    that trained on the same row. With fewer than ``cv`` bads or goods there is nothing to
    cross-validate: then ``min(100, n_estimators)`` rounds and an in-sample calibration.

    Above ``cv_rows`` rows the cross-validation runs on a seeded, stratified sample of
    ``cv_rows`` rows (each class keeps its share), on the full data's histogram bins; the
    shipped booster still trains on every row. The round count and the Platt slope are then
    pinned down by 200,000 rows as well as by millions, and the cross-validation, which
    otherwise fits the booster ``cv`` more times on two thirds of the rows, costs a fraction
    of the final fit. On the 1,000,000-row synthetic scale table of the benchmark (200,000-row
    holdout) it chose 280 rounds instead of 413, fitted 2.5 times faster, and gave a holdout
    AUC of 0.8543 against 0.8547 (log-loss 0.2075 against 0.2072), within the AUC's noise of
    about 0.001; ``cv_rows=None`` cross-validates on every row.

    ``cv=None`` skips the cross-validation: the booster trains exactly ``n_estimators`` rounds
    on every row and ``calibration`` (Platt's slope and intercept on the raw margin) is its
    calibration, so a refit on more rows can reuse what an earlier fit's cross-validation chose
    (``train_models`` refits the shipped challenger this way, see :mod:`benne.models.training`);
    without ``calibration`` the Platt fit is in sample (optimistic).

    Parameters
    ----------
    n_estimators : most boosting rounds; learning_rate, num_leaves, min_child_samples,
    reg_lambda, subsample, colsample_bytree : LightGBM's; cv : folds (>= 2, stratified and
    shuffled with ``random_state``), a scikit-learn splitter / list of (train, test) splits,
    or None (no cross-validation, see above); calibration : the Platt ``(slope, intercept)``
    to use with ``cv=None``;
    early_stopping_rounds : rounds without improvement that end the search;
    cv_rows : most rows the cross-validation runs on (None: every row);
    meta : column -> FeatureMeta (directions become monotone constraints; ``"auto"`` is free);
    categorical_features : columns to treat as categories (text columns always are);
    scale : the points scale of :meth:`score`; random_state : the seed;
    n_jobs : LightGBM threads; -1 (default) ``OMP_NUM_THREADS`` when set, else every CPU this
    process may run on (:func:`~benne.models.challenger.available_cores`). The model is the
    same bit for bit whatever the count (see :mod:`benne.models.challenger`).

    Attributes: ``model_`` (:class:`ChallengerModel`, what is saved), ``best_iteration_``,
    ``classes_``, ``n_features_in_``, ``feature_names_in_``.
    """

    def __init__(self, *, n_estimators: int = 2000, learning_rate: float = 0.05,
                 num_leaves: int = 31, min_child_samples: int = 50, reg_lambda: float = 1.0,
                 subsample: float = 0.8, colsample_bytree: float = 0.9, cv: Any = 3,
                 early_stopping_rounds: int = 50, cv_rows: int | None = 200_000,
                 calibration: tuple[float, float] | None = None,
                 meta: Mapping[str, FeatureMeta] | None = None,
                 categorical_features: Sequence[str] | None = None, scale: Scale | None = None,
                 random_state: int = 0, n_jobs: int = -1) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.cv = cv
        self.early_stopping_rounds = early_stopping_rounds
        self.cv_rows = cv_rows
        self.calibration = calibration
        self.meta = meta
        self.categorical_features = categorical_features
        self.scale = scale
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_params(self) -> None:
        ints = {"n_estimators": 1, "num_leaves": 2, "min_child_samples": 1,
                "early_stopping_rounds": 1}
        if not (isinstance(self.n_jobs, int | np.integer) and (self.n_jobs >= 1
                                                                or self.n_jobs == -1)):
            raise InvalidValueError(f"n_jobs must be -1 (every core) or an integer >= 1; got "
                                    f"{self.n_jobs!r}", where="Challenger(n_jobs=...)",
                                    fix="pass n_jobs=-1 or a thread count")
        if isinstance(self.cv, int | np.integer) and self.cv < 2:
            raise InvalidValueError(f"cv must be an integer >= 2, a splitter or None; got "
                                    f"{self.cv!r}",
                                    where="Challenger(cv=...)", fix="pass cv=3, say")
        for name, low in ints.items():
            v = getattr(self, name)
            if not (isinstance(v, int | np.integer) and v >= low):
                raise InvalidValueError(f"{name} must be an integer >= {low}; got {v!r}",
                                        where=f"Challenger({name}=...)",
                                        fix=f"pass {name} >= {low}")
        if self.calibration is not None and not (self.cv is None
                                                 and _finite_pair(self.calibration)):
            raise InvalidValueError(f"calibration must be two finite numbers (Platt's slope and "
                                    f"intercept) and goes with cv=None; got {self.calibration!r}",
                                    where="Challenger(calibration=...)",
                                    fix="pass cv=None with calibration=(slope, intercept)")
        if self.cv_rows is not None and not (isinstance(self.cv_rows, int | np.integer)
                                             and self.cv_rows >= 2):
            raise InvalidValueError(f"cv_rows must be an integer >= 2 or None; got "
                                    f"{self.cv_rows!r}", where="Challenger(cv_rows=...)",
                                    fix="pass cv_rows=200000, say, or None")
        for name, lo, hi in (("learning_rate", 0, np.inf), ("subsample", 0, 1),
                             ("colsample_bytree", 0, 1)):
            v = getattr(self, name)
            if not (isinstance(v, float | int) and lo < v <= hi):
                raise InvalidValueError(f"{name} must be in ({lo}, {hi}]; got {v!r}",
                                        where=f"Challenger({name}=...)", fix=f"pass a valid {name}")
        if not (isinstance(self.reg_lambda, float | int) and self.reg_lambda >= 0):
            raise InvalidValueError(f"reg_lambda must be >= 0; got {self.reg_lambda!r}",
                                    where="Challenger(reg_lambda=...)", fix="pass reg_lambda >= 0")

    def _params(self, constraints: list[int]) -> dict[str, Any]:
        threads = available_cores() if self.n_jobs == -1 else int(self.n_jobs)
        return {
            "objective": "binary", "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves), "min_data_in_leaf": int(self.min_child_samples),
            "lambda_l2": float(self.reg_lambda), "feature_fraction": float(self.colsample_bytree),
            "bagging_fraction": float(self.subsample), "bagging_freq": 1,
            "monotone_constraints": constraints, "monotone_constraints_method": "advanced",
            "deterministic": True, "force_row_wise": True, "num_threads": threads,
            "seed": int(self.random_state), "verbose": -1,
            "min_data_in_bin": 1 if self._n_rows < 200 else 3,
        }

    def fit(self, X: object, y: object, sample_weight: object = None,
            groups: object = None) -> Challenger:
        """Cross-validate the round count and the calibration, then fit on every row.

        ``groups`` (one label per row, e.g. the person) keeps each group's rows in one fold
        (``StratifiedGroupKFold``), so a person with several observations never validates the
        rounds and the calibration on rows of their own that were trained on; without it the
        folds are stratified by row.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, check_cv

        self._check_params()
        lgb = import_lightgbm()
        frame = as_frame(self, X, reset=True)
        bad = binary_target(self, y, len(frame)).astype(np.int8)
        w = _weights(sample_weight, len(frame))
        group = None if groups is None else np.asarray(groups)
        if group is not None and group.shape != (len(frame),):
            raise InvalidValueError(f"groups has {group.size} labels for {len(frame)} rows",
                                    where="Challenger.fit(groups=...)",
                                    fix="give one group label per row, e.g. the person id")
        self._n_rows = len(frame)
        names = [str(c) for c in frame.columns]
        metas = {c: (self.meta or {}).get(c) or auto_meta(c) for c in names}
        forced = set(self.categorical_features or ())
        cat_cols = [c for c in names if c in forced or not (
            is_numeric_dtype(frame[c]) or is_bool_dtype(frame[c]))]
        categories = {c: sorted(frame[c].dropna().astype(str).unique().tolist())
                      for c in cat_cols}
        scale = self.scale or Scale()
        model = ChallengerModel(None, names, metas, categories, (1.0, 0.0), scale, 0)
        x = model.matrix(frame, "the training data")
        constraints = [0 if c in categories else MONOTONE[metas[c].direction] for c in names]
        params = self._params(constraints)
        cat_idx = [j for j, c in enumerate(names) if c in categories]
        data = lgb.Dataset(x, bad, weight=w, feature_name=names,
                           categorical_feature=cat_idx or "auto", free_raw_data=False)
        minority = int(min(bad.sum(), bad.size - bad.sum()))
        n_folds = int(self.cv) if isinstance(self.cv, int | np.integer) else 2
        can_cv = self.cv is not None and minority >= n_folds
        if can_cv:
            # the rows the cross-validation runs on (all, or a stratified sample of cv_rows)
            sub = np.arange(len(bad))
            if self.cv_rows is not None and len(bad) > int(self.cv_rows):
                sub = _stratified_sample(bad, int(self.cv_rows), int(self.random_state),
                                         least=n_folds)
            cv_data = data if sub.size == len(bad) else data.subset(sub.tolist())
            x_cv, bad_cv = x[sub], bad[sub]
            group_cv = None if group is None else group[sub]
            if isinstance(self.cv, int | np.integer):
                splitter = (StratifiedKFold(int(self.cv), shuffle=True,
                                            random_state=int(self.random_state))
                            if group_cv is None or len(np.unique(group_cv)) == len(group_cv)
                            else StratifiedGroupKFold(int(self.cv), shuffle=True,
                                                      random_state=int(self.random_state)))
            else:
                splitter = check_cv(self.cv, bad_cv, classifier=True)
            folds = list(splitter.split(x_cv, bad_cv, group_cv))
            with warnings.catch_warnings():  # the sample's folds take the same parameters
                warnings.filterwarnings("ignore", message="Overriding the parameters")
                res = lgb.cv(params, cv_data, num_boost_round=int(self.n_estimators),
                             folds=folds, return_cvbooster=True,
                             callbacks=[lgb.early_stopping(int(self.early_stopping_rounds),
                                                           verbose=False)])
            rounds = len(res["valid binary_logloss-mean"])  # type: ignore[arg-type]
            oof = np.empty(len(bad_cv))
            cvb: Any = res["cvbooster"]
            for (_, test), booster in zip(folds, cvb.boosters, strict=True):
                oof[test] = booster.predict(x_cv[test], raw_score=True, num_iteration=rounds)
        else:
            sub = np.arange(len(bad))
            rounds = int(self.n_estimators) if self.cv is None else min(100,
                                                                        int(self.n_estimators))
        booster = lgb.train(params, data, num_boost_round=rounds)
        booster.free_dataset()
        if not can_cv and self.calibration is None:
            oof = np.asarray(booster.predict(x, raw_score=True))
        fit_kw = {} if w is None else {"sample_weight": w[sub]}
        if self.calibration is not None:
            model.platt = (float(self.calibration[0]), float(self.calibration[1]))
        elif np.ptp(oof) > 0:
            lr = LogisticRegression(C=1e6, solver="lbfgs", tol=1e-10).fit(oof[:, None], bad[sub],
                                                                           **fit_kw)
            model.platt = (float(lr.coef_[0, 0]), float(lr.intercept_[0]))
        else:  # a booster with no split: the calibration is the prior
            p = float(np.average(bad[sub], weights=None if w is None else w[sub]))
            p = min(max(p, 1e-6), 1 - 1e-6)
            model.platt = (1.0, float(np.log(p / (1 - p)) - oof[0]))
        model.best_iteration = rounds
        model.booster = lgb.Booster(model_str=model_text(booster, num_iteration=rounds))
        self.model_ = model
        self.best_iteration_ = rounds
        return self

    def _frame(self, X: object) -> pd.DataFrame:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return as_frame(self, X, reset=False)

    def predict_proba(self, X: object) -> np.ndarray:
        """``(n, 2)`` calibrated probabilities of the two classes (the second: bad)."""
        frame = self._frame(X)
        p = self.model_.predict_pd(frame)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: object) -> np.ndarray:
        """The calibrated logit of bad."""
        frame = self._frame(X)
        a, b = self.model_.platt
        m = self.model_
        return a * m.margin(m.matrix(frame)) + b

    def predict(self, X: object) -> np.ndarray:
        z = self.decision_function(X)
        return self.classes_[(z > 0).astype(int)]

    def score(self, X: object, y: object = None, sample_weight: object = None) -> Any:
        """Without ``y``: the integer credit score of each row; with ``y``: the ROC AUC."""
        if y is None:
            p = self.predict_proba(X)[:, 1]
            return self.model_.scale.from_pd(p)
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(np.asarray(y) == self.classes_[1],
                                   self.predict_proba(X)[:, 1], sample_weight=sample_weight))

    def reasons(self, X: object, n: int = 4) -> pd.DataFrame:
        """The ``n`` features that cost each row the most points (TreeSHAP against the average
        person): ``reason_i`` (feature, missing when none lost points) and ``reason_i_points``."""
        frame = self._frame(X)
        m = self.model_
        lost = m.lost_points(m.matrix(frame))
        order = np.argsort(-lost, axis=1, kind="stable")[:, :n]
        names = np.asarray(m.features, dtype=object)
        out = {}
        for i in range(min(n, len(m.features))):
            j = order[:, i]
            amount = np.take_along_axis(lost, j[:, None], axis=1)[:, 0]
            out[f"reason_{i + 1}"] = np.where(amount > 0, names[j], np.array(None, dtype=object))
            out[f"reason_{i + 1}_points"] = np.maximum(amount, 0)
        return pd.DataFrame(out, index=getattr(X, "index", None))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _finite_pair(value: Any) -> bool:
    """Whether ``value`` is two finite numbers."""
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(a) and np.isfinite(b))


def _stratified_sample(bad: np.ndarray, size: int, seed: int, least: int = 1) -> np.ndarray:
    """Sorted indexes of a seeded sample of about ``size`` rows, each class at its share and
    at least ``least`` rows of each (so every fold of the cross-validation has both)."""
    rng = np.random.default_rng(seed)
    parts = []
    for value in (0, 1):
        idx = np.flatnonzero(bad == value)
        take = max(int(round(size * idx.size / bad.size)), least)
        parts.append(rng.choice(idx, size=min(take, idx.size), replace=False))
    return np.sort(np.concatenate(parts))


def scorecard_from_settings(settings: TrainSettings, metas: Mapping[str, FeatureMeta],
                            categorical: Sequence[str] = ()) -> Scorecard:
    """The estimator :func:`train_scorecard` (and so ``benne train``) fits for these settings."""
    s = settings
    binning = BinningProcess(max_bins=s.max_bins, min_bin_share=s.min_bin_share,
                             max_prebins=s.max_prebins, special_values=s.special_values,
                             categorical_features=list(categorical) or None,
                             directions={c: m.direction for c, m in metas.items()
                                         if m.direction != "auto"},
                             max_codes=s.max_codes, turns=s.turns)
    return Scorecard(binning=binning, scale=s.scale, min_iv=s.min_iv, max_p=s.max_p,
                     max_corr=s.max_corr, l2="auto" if s.l2 is None else s.l2,
                     meta=dict(metas))




def challenger_from_settings(settings: TrainSettings, metas: Mapping[str, FeatureMeta],
                             categorical: Sequence[str] = ()) -> Challenger:
    """The estimator :func:`train_challenger` (and so ``benne train``) fits for these settings."""
    s = settings
    return Challenger(n_estimators=s.challenger_rounds, learning_rate=s.challenger_learning_rate,
                      num_leaves=s.challenger_leaves, cv=s.cv_folds, meta=dict(metas),
                      categorical_features=list(categorical) or None, scale=s.scale,
                      random_state=s.seed, n_jobs=-1 if s.threads is None else s.threads)
