"""Map the card_events data with mapping.toml alone, then train and validate end to end.

    python examples/card_events/run.py [--workdir card_events_run]

The data is read in place from ../shared/data/card_events beside the project (never copied).

- Extraction month 2020-01 (see mapping.toml); the store's rule labels a person bad when a
  statement is 90+ days past due or written off in the 12 months after the as-of date.
- Training: features as of 2018-01-01, outcomes over 2018; validation: features as of
  2019-01-01, outcomes over 2019.
- Many applicants share identical application attributes, so people are split by *profile*
  (the same attributes): profiles are hashed into a training part (about 70%) and a test part,
  and the validation sample holds only people of test profiles, as of the later date. A split
  by person would let the same profile sit on both sides.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from benne.features.registry import feature_meta
from benne.ingest import ingest_mapping
from benne.models import TrainSettings, save_model, train_models
from benne.pipeline import frames_from_store
from benne.pipeline.frames import KEY_COLUMNS

HERE = Path(__file__).resolve().parent
TRAIN_AS_OF, TEST_AS_OF = dt.date(2018, 1, 1), dt.date(2019, 1, 1)


def profile_part(frame: pd.DataFrame) -> pd.Series:
    """True for people whose application profile falls in the training part (about 70%)."""
    cols = sorted(c for c in frame.columns if c.startswith("applications__")
                  and (c.endswith("_share") or c.endswith("_latest")))
    hashed = pd.util.hash_pandas_object(frame[cols].round(6), index=False)
    return (hashed % 10 < 7).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("card_events_run"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    store = args.workdir / "card_events.duckdb"
    if not store.exists():
        result = ingest_mapping(HERE / "mapping.toml", store)
        for f in result.files:
            print(f"{f.file} -> {f.source}: loaded {f.loaded}, quarantined {f.quarantined}")
    train, test = frames_from_store(store, TRAIN_AS_OF, TEST_AS_OF)
    assert test is not None
    train = train[profile_part(train)]
    test = test[~profile_part(test)]
    print(f"training rows {len(train)} (bad {train['bad'].mean():.2%}), "
          f"test rows {len(test)} (bad {test['bad'].mean():.2%})")
    keys = tuple(c for c in KEY_COLUMNS if c in train.columns)  # ids, dates, segment
    settings = TrainSettings(exclude=keys, seed=7)
    models = train_models(train, "bad", feature_meta(store), oot_frame=test, settings=settings)
    save_model(models, args.workdir / "model",
               manifest_extra={"training_window": {"train_as_of": str(TRAIN_AS_OF),
                                                   "test_as_of": str(TEST_AS_OF),
                                                   "split": "by application profile"}})
    for sample, values in models.metrics.items():
        for name, v in values.items():
            print(f"{sample:<8} {name:<11} AUC {v['auc']:.4f}  ({v['rows']:,} rows)")
    print("scorecard features:", ", ".join(models.scorecard.feature_names))


if __name__ == "__main__":
    main()
