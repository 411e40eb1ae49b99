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
from typing import TYPE_CHECKING, Any

import pandas as pd

from benne.exceptions import InputError
from benne.models.settings import is_others_data
from benne.report import monitor
from benne.report.html import write_html
from benne.report.sections import Report, build_report

if TYPE_CHECKING:
    from benne.models import TrainedModels

__all__ = [
    "default_model_card",
    "model_features",
    "monitor_from_model",
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
    """The manifest of a folder ``load_model`` has verified (training window, population)."""
    return dict(json.loads((model_dir / "manifest.json").read_text(encoding="utf-8")))


def model_features(models: TrainedModels) -> list[str]:
    """The columns the model reads: the scorecard's, then the challenger's others."""
    names = list(models.scorecard.feature_names)
    if models.challenger is not None:
        names += [c for c in models.challenger.features if c not in names]
    return names


def default_model_card(manifest: dict[str, Any], data_name: str) -> dict[str, str]:
    """The model card: the manifest's own ``model_card`` entries over benne's defaults."""
    card = dict(_DEFAULT_CARD)
    window = manifest.get("training_window")
    card["model"] = str(manifest.get("model_version", manifest.get("version", "unknown")))
    if manifest.get("outcome"):
        card["outcome"] = str(manifest["outcome"])
        if manifest.get("model_kind") == "lender":
            card["outcome"] += (" (a lender model: it reads the application columns "
                                f"{', '.join(manifest.get('application_columns', []))}, so it "
                                "is scored in batch only, never served)")
    card["data"] = (f"{manifest.get('population', 'training data')}, "
                    f"fingerprint {manifest.get('data_fingerprint', 'unknown')}; "
                    f"this report: {data_name}")
    if window:
        card["window"] = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in window.items()) \
            if isinstance(window, dict) else str(window)
    card.update({k: str(v) for k, v in dict(manifest.get("model_card", {})).items()})
    return card


def scored_with_data(models: TrainedModels, frame: pd.DataFrame, *, challenger: bool = False
                     ) -> pd.DataFrame:
    """The frame's own columns with ``score``, ``pd`` and ``band`` from the model beside them."""
    from benne.scoring import score_frame

    scores = score_frame(models, frame, challenger=challenger).reset_index(drop=True)
    keep = [c for c in ("score", "pd", "band") if c in scores.columns]
    return pd.concat([frame.reset_index(drop=True).drop(columns=keep, errors="ignore"),
                      scores[keep]], axis=1)


def report_from_model(
    model_dir: Path | str,
    data: Path | str | pd.DataFrame,
    *,
    target: str = "bad",
    baseline: Path | str | pd.DataFrame | None = None,
    protected: Sequence[str] | None = None,
    out: Path | str | None = None,
    cutoff: int | None = None,
    approval_rate: float = 0.5,
    generated_at: str | None = None,
    seed: int = 0,
    n_boot: int = 200,
    latent: str | None = None,
) -> Report:
    """Score ``data`` (and ``baseline``) with the model in ``model_dir`` and build the report;
    with ``out`` the HTML is written there too.

    A ``thin_file`` column in ``data`` (the pipeline's frames have one) gives the thin-file and
    thick-file section; ``latent`` names a column of latent truth to rank-correlate with.

    ``protected`` defaults to the sources' protected fields (gender, birth year, region); those
    the data lacks are reported as unavailable. ``generated_at`` defaults to a description of
    the inputs (file name, content hash, model version) rather than the clock, so the same
    inputs give the same file.
    """
    from benne.models import load_model, read_table

    model_dir = Path(model_dir)
    models = load_model(model_dir)
    manifest = _manifest(model_dir)
    frame = data if isinstance(data, pd.DataFrame) else read_table(Path(data))
    data_name = "a data frame" if isinstance(data, pd.DataFrame) else (
        f"{Path(data).name} (sha256 {_fingerprint(Path(data))})")
    if target not in frame.columns:
        raise InputError(f"the data has no target column {target!r}", where=f"column {target}",
                         fix="name the 0/1 bad column with --target")
    if protected is None:
        protected = _schema_protected()  # those the data lacks are reported as unavailable
    features = model_features(models)
    meta = {f: models.metas[f] for f in features if f in models.metas}
    version = models.model_version
    scored = scored_with_data(models, frame)
    challenger = None
    if models.challenger is not None:
        challenger = scored_with_data(models, frame, challenger=True)
    base = None
    if baseline is not None:
        base_frame = baseline if isinstance(baseline, pd.DataFrame) else read_table(
            Path(baseline))
        base = base_frame if "score" in base_frame.columns else scored_with_data(models,
                                                                                 base_frame)
    relationships = [f for f, m in meta.items() if m.dimension == "relationships"
                     and f in frame.columns]
    switched = None
    if relationships:
        switched = scored_with_data(models, frame.assign(**{f: float("nan")
                                                            for f in relationships}))
    others = [f for f in features if is_others_data(f) and f in frame.columns]
    others_switched = None
    if others:
        others_switched = scored_with_data(models, frame.assign(**{f: float("nan")
                                                                   for f in others}))
    sc = models.scorecard
    points = pd.DataFrame(sc.points_matrix(sc.bin_matrix(frame)), columns=sc.feature_names)
    report = build_report(
        scored,
        challenger_scored=challenger,
        scorecard_table=models.scorecard.table(),
        baseline=base,
        protected=protected,
        feature_meta=meta or None,
        model_card=default_model_card(manifest, data_name),
        no_relationships_scored=switched,
        cutoff=cutoff,
        approval_rate=approval_rate,
        feature_points=points,
        no_others_data_scored=others_switched,
        others_features=others,
        scale=models.settings.scale,
        generated_at=generated_at or f"from {data_name} with model {version}",
        target=target,
        title=f"benne model report: {version}",
        seed=seed,
        n_boot=n_boot,
        latent=latent,
        entity=str(manifest.get("entity", "person")),
    )
    if manifest.get("entity") == "merchant":
        from benne.report.merchants import shops_section
        from benne.scoring import score_frame

        y = pd.to_numeric(scored[target], errors="coerce")
        report.shops = shops_section(scored, y, score_frame(models, frame))
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
    from benne.models import load_model, read_table

    models = load_model(Path(model_dir))
    frames = []
    for sample in (baseline, recent):
        f = sample if isinstance(sample, pd.DataFrame) else read_table(Path(sample))
        frames.append(f if "score" in f.columns else scored_with_data(models, f))
    return monitor.stability_table(frames[0], frames[1], ["score", *model_features(models)])
