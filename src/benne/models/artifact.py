"""The model folder: readable files, a manifest, and checksums verified on load.

::

    manifest.json       model version, features (dimension, direction, description, tip, code),
                        scale, settings, metrics, data fingerprint, package versions, challenger
                        calibration, the columns left out and why (``excluded_columns``: ids,
                        protected, empty, constant), plus whatever the caller adds
                        (training window, ...)
    scorecard.json      every bin of every feature and what scoring needs (the source of truth)
    scorecard.csv       the same bins as a table: feature, bin label, bounds, counts, WoE, points
    challenger.txt      the LightGBM model in its native text format (absent without challenger)
    reasons.json        reason code → feature, statement, tip
    CHECKSUMS.sha256    SHA-256 of each file above (``sha256sum -c`` can check it)

Nothing in the folder depends on the clock or the machine, so the same data, settings and seed
give the same files and the same checksums. The artifact's checksum is the SHA-256 of
``CHECKSUMS.sha256``. No pickle: every file is text a person (or another language) can read.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from benne import __version__
from benne.exceptions import ModelError, TamperedArtifactError
from benne.models.challenger import ChallengerModel, model_text
from benne.models.reasons import Reason
from benne.models.scorecard import ScorecardModel
from benne.models.settings import TrainSettings
from benne.models.training import TrainedModels

__all__ = ["CHECKSUMS", "artifact_checksum", "load_model", "save_model"]

CHECKSUMS = "CHECKSUMS.sha256"
REQUIRED = ("manifest.json", "scorecard.json", "scorecard.csv", "reasons.json")
_PACKAGES = ("numpy", "pandas", "scikit-learn", "lightgbm")


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, allow_nan=False) + "\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    out = {"benne": __version__}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "absent"
    return out


def save_model(models: TrainedModels, folder: Path, *,
               manifest_extra: dict[str, Any] | None = None) -> Path:
    """Write the model folder (created if needed) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sc = models.scorecard
    in_card = set(sc.feature_names)
    features = [{"name": m.name, "dimension": m.dimension, "direction": m.direction,
                 "description": m.description, "tip": m.tip,
                 "code": models.code_of(m.name), "in_scorecard": m.name in in_card}
                for m in models.metas.values()]
    manifest: dict[str, Any] = {
        "model_version": models.model_version,
        "features": features,
        "scorecard_features": sc.feature_names,
        "scale": models.settings.scale.to_dict(),
        "settings": models.settings.to_dict(),
        "metrics": models.metrics,
        "data_fingerprint": models.fingerprint,
        "package_versions": _versions(),
        "challenger": models.challenger.manifest() if models.challenger else None,
        "excluded_columns": models.excluded,
    }
    manifest.update(manifest_extra or {})
    files = {
        "manifest.json": _dump(manifest),
        "scorecard.json": _dump(sc.to_dict()),
        "scorecard.csv": sc.table().to_csv(index=False, lineterminator="\n"),
        "reasons.json": _dump({code: r.to_dict() for code, r in models.reasons.items()}),
    }
    if models.challenger is not None:
        files["challenger.txt"] = model_text(models.challenger.booster)
    stale = folder / "challenger.txt"
    if models.challenger is None and stale.exists():
        stale.unlink()
    lines = []
    for name in sorted(files):
        (folder / name).write_text(files[name], encoding="utf-8")
        lines.append(f"{_sha(folder / name)}  {name}\n")
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8")
    return folder


def artifact_checksum(folder: Path) -> str:
    """One SHA-256 for the whole artifact: that of its checksum file."""
    return _sha(Path(folder) / CHECKSUMS)


def _verify(folder: Path) -> set[str]:
    if not folder.is_dir():
        raise ModelError(f"no model folder at {folder}", where=str(folder),
                         fix="train one with `benne train` or point --model at one")
    sums = folder / CHECKSUMS
    if not sums.is_file():
        raise ModelError(f"{CHECKSUMS} is missing, so the model cannot be verified",
                         where=str(folder), fix="save the model again with benne")
    listed: dict[str, str] = {}
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name or "/" in name:
            raise TamperedArtifactError(f"{CHECKSUMS} is malformed", where=f"{sums}, line {n}",
                                        fix="restore the model folder from its source")
        listed[name] = digest
    missing = [name for name in REQUIRED if name not in listed]
    if missing:
        raise TamperedArtifactError(f"{CHECKSUMS} does not cover {', '.join(missing)}",
                                    where=str(sums), fix="restore the model folder")
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise TamperedArtifactError(f"{name} is missing from the model folder",
                                        where=str(path), fix="restore the model folder")
        if _sha(path) != digest:
            raise TamperedArtifactError(f"{name} does not match its checksum",
                                        where=str(path),
                                        fix="the file was changed after training; restore it "
                                            "or train again")
    return set(listed)


def load_model(folder: Path) -> TrainedModels:
    """Read a model folder after verifying every checksum (TamperedArtifactError if not)."""
    from benne.dimensions import FeatureMeta

    folder = Path(folder)
    listed = _verify(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        card = json.loads((folder / "scorecard.json").read_text(encoding="utf-8"))
        reasons = json.loads((folder / "reasons.json").read_text(encoding="utf-8"))
        settings = TrainSettings.from_dict(manifest["settings"])
        metas = {f["name"]: FeatureMeta(f["name"], f["dimension"], f["direction"],
                                        f["description"], f["tip"])
                 for f in manifest["features"]}
        sc = ScorecardModel.from_dict(card, manifest["model_version"])
        ch = None
        if manifest.get("challenger") and "challenger.txt" in listed:
            ch = ChallengerModel.from_native(
                (folder / "challenger.txt").read_text(encoding="utf-8"),
                manifest["challenger"], metas, settings.scale)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"the model folder is not a benne model ({exc})", where=str(folder),
                         fix="train and save the model with this version of benne") from exc
    catalog = {code: Reason(code, r["feature"], r["dimension"], r["statement"], r["tip"])
               for code, r in reasons.items()}
    return TrainedModels(sc, ch, settings, metas, catalog, manifest.get("metrics", {}),
                         manifest.get("data_fingerprint", ""),
                         manifest.get("excluded_columns", {}))
