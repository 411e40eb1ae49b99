"""From a model folder and data files to a report or a drift check.

The thin layer over :func:`~benne.report.sections.build_report` and
:func:`~benne.report.monitor.stability_table`: read the files, load the model
(``benne.models.load_model``, which verifies the checksums), score through
``benne.scoring.score_frame`` and hand plain frames down. The interpersonal switch-off scores
the same rows again with every feature of the ``relationships`` dimension set to missing, so
each lands in its missing bin, which is what the model does for a person with no transfers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benne.dimensions import FeatureMeta
from benne.exceptions import InputError, ModelError, SourceFileError
from benne.report import monitor
from benne.report.html import write_html
from benne.report.sections import Report, build_report

__all__ = [
    "default_model_card",
    "monitor_from_model",
    "read_table",
    "report_from_model",
    "scored_with_data",
]

_DEFAULT_CARD = {
    "intended_use": (
        "Ranking people by the risk that a credit obligation is 90 or more days past due or "
        "charged off within 12 months, for partners that hold the person's consent for a "
        "stated purpose. A score informs a decision; it is not the decision."
    ),
    "limitations": (
        "Validated only on the population and window named here. People with little data "
        "score near the middle of the scale with reasons that say so. The interpersonal "
        "dimension depends on other people's scores; its effect is shown under Fairness."
    ),
    "do_not_score": (
        "People under 18; people who have not consented or have revoked consent; records "
        "under dispute; populations unlike the training data (another country or product) "
        "until the model is validated on them; employment or housing decisions without a "
        "human review."
    ),
}


def read_table(path: Path | str, what: str = "data") -> pd.DataFrame:
    """A Parquet or CSV file as a frame; a missing or unreadable file is a one-line error."""
    p = Path(path)
    if not p.is_file():
        raise SourceFileError(f"the {what} file does not exist", where=f"file {p}",
                              fix="give the path of a Parquet or CSV file")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if p.suffix.lower() in (".csv", ".txt"):
            return pd.read_csv(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault
        raise SourceFileError(f"the {what} file cannot be read ({type(exc).__name__}: "
                              f"{str(exc)[:200]})", where=f"file {p}",
                              fix="check that it is a valid Parquet or CSV file") from exc
    raise SourceFileError(f"the {what} file is neither Parquet nor CSV", where=f"file {p}",
                          fix="use a .parquet or .csv file")


def _schema_protected() -> list[str]:
    """Protected fields of the source schemas, in schema order, each name once."""
    from benne.sources import SOURCES

    names = [f.name for s in SOURCES.values() for f in s.fields if f.protected]
    return list(dict.fromkeys(names))


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def _manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "manifest.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ModelError("the model folder has no readable manifest.json", where=f"file {path}",
                         fix="point --model at a folder written by `benne train`") from exc


def _feature_meta(manifest: dict[str, Any]) -> dict[str, FeatureMeta]:
    feats = manifest.get("features", [])
    items = feats.values() if isinstance(feats, dict) else feats
    out: dict[str, FeatureMeta] = {}
    for f in items:
        if isinstance(f, dict) and "name" in f:
            out[f["name"]] = FeatureMeta(f["name"], f.get("dimension", "other"),
                                         f.get("direction", "auto"), f.get("description", ""),
                                         f.get("tip", ""))
    return out


def default_model_card(manifest: dict[str, Any], data_name: str) -> dict[str, str]:
    """The model card: the manifest's own ``model_card`` entries over benne's defaults."""
    card = dict(_DEFAULT_CARD)
    window = manifest.get("training_window")
    card["model"] = str(manifest.get("model_version", manifest.get("version", "unknown")))
    card["data"] = (f"{manifest.get('population', 'training data')}, "
                    f"fingerprint {manifest.get('data_fingerprint', 'unknown')}; "
                    f"this report: {data_name}")
    if window:
        card["window"] = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in window.items()) \
            if isinstance(window, dict) else str(window)
    card.update({k: str(v) for k, v in dict(manifest.get("model_card", {})).items()})
    return card


def _score(models: Any, frame: pd.DataFrame, *, challenger: bool = False) -> pd.DataFrame:
    from benne.scoring import score_frame

    return score_frame(models, frame, challenger=challenger)


def scored_with_data(models: Any, frame: pd.DataFrame, *, challenger: bool = False
                     ) -> pd.DataFrame:
    """The frame's own columns with ``score``, ``pd`` and ``band`` from the model beside them."""
    scores = _score(models, frame, challenger=challenger).reset_index(drop=True)
    keep = [c for c in ("score", "pd", "band") if c in scores.columns]
    return pd.concat([frame.reset_index(drop=True).drop(columns=keep, errors="ignore"),
                      scores[keep]], axis=1)


def _load(model_dir: Path) -> Any:
    from benne.models import load_model

    return load_model(model_dir)


def _scorecard_table(model_dir: Path) -> pd.DataFrame | None:
    path = model_dir / "scorecard.csv"
    return pd.read_csv(path) if path.is_file() else None


def report_from_model(
    model_dir: Path | str,
    data: Path | str | pd.DataFrame,
    *,
    target: str = "bad",
    baseline: Path | str | pd.DataFrame | None = None,
    protected: Sequence[str] | None = None,
    out: Path | str | None = None,
    cutoff: int = 600,
    generated_at: str | None = None,
    seed: int = 0,
    n_boot: int = 200,
) -> Report:
    """Score ``data`` (and ``baseline``) with the model in ``model_dir`` and build the report;
    with ``out`` the HTML is written there too.

    ``protected`` defaults to the sources' protected fields (gender, birth year, region) that
    the data holds. ``generated_at`` defaults to a description of the inputs (file name,
    content hash, model version) rather than the clock, so the same inputs give the same file.
    """
    model_dir = Path(model_dir)
    manifest = _manifest(model_dir)
    models = _load(model_dir)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data, "data")
    data_name = "a data frame" if isinstance(data, pd.DataFrame) else (
        f"{Path(data).name} (sha256 {_fingerprint(Path(data))})")
    if target not in frame.columns:
        raise InputError(f"the data has no target column {target!r}", where=f"column {target}",
                         fix="name the 0/1 bad column with --target")
    if protected is None:
        protected = [c for c in _schema_protected() if c in frame.columns]
    meta = _feature_meta(manifest)
    version = str(manifest.get("model_version", model_dir.name))
    scored = scored_with_data(models, frame)
    challenger = None
    if (model_dir / "challenger.txt").is_file():
        challenger = scored_with_data(models, frame, challenger=True)
    base = None
    if baseline is not None:
        base_frame = baseline if isinstance(baseline, pd.DataFrame) else read_table(baseline,
                                                                                    "baseline")
        base = base_frame if "score" in base_frame.columns else scored_with_data(models,
                                                                                 base_frame)
    relationships = [f for f, m in meta.items() if m.dimension == "relationships"
                     and f in frame.columns]
    switched = None
    if relationships:
        switched = scored_with_data(models, frame.assign(**{f: float("nan")
                                                            for f in relationships}))
    report = build_report(
        scored,
        challenger_scored=challenger,
        scorecard_table=_scorecard_table(model_dir),
        baseline=base,
        protected=protected,
        feature_meta=meta or None,
        model_card=default_model_card(manifest, data_name),
        no_relationships_scored=switched,
        cutoff=cutoff,
        generated_at=generated_at or f"from {data_name} with model {version}",
        target=target,
        title=f"benne model report: {version}",
        seed=seed,
        n_boot=n_boot,
    )
    if out is not None:
        write_html(report, Path(out))
    return report


def monitor_from_model(
    model_dir: Path | str,
    baseline: Path | str | pd.DataFrame,
    recent: Path | str | pd.DataFrame,
) -> list[monitor.Stability]:
    """PSI of the score and of every model feature, recent against baseline.

    A sample that already holds a ``score`` column is used as it is; otherwise it is scored.
    """
    model_dir = Path(model_dir)
    manifest = _manifest(model_dir)
    models = _load(model_dir)
    frames = []
    for sample, what in ((baseline, "baseline"), (recent, "recent")):
        f = sample if isinstance(sample, pd.DataFrame) else read_table(sample, what)
        frames.append(f if "score" in f.columns else scored_with_data(models, f))
    features = list(_feature_meta(manifest))
    return monitor.stability_table(frames[0], frames[1], ["score", *features])
