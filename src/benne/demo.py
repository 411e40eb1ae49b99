"""``benne demo``: every stage in order on a simulated population, then the service.

The demo's timeline (defaults: 27 months of data from 2023-10-01):

- ``train_as_of`` = start + 12 months (2024-10-01): a full year of footprint before it, labels
  over the 12 months after (the ``credit`` rule of :mod:`benne.labels`: people already in
  default are left out; thin-file people who open a first pay-later line in the window have
  outcomes, so the missing bins are learnt from them); the champion scorecard and the
  challenger are trained here.
- ``as_of`` = start + 15 months (2025-01-01): the out-of-time validation sample (features before
  it, labels over the following 12 months, to the end of the data), scored and reported on,
  thin-file and thick-file segments apart and against the simulation's latent
  creditworthiness; these scores are the first entry of everyone's history.
- ``end`` = start + months (2026-01-01): everyone is scored again on all the data. This is the
  score people see.

Shops go through the same stages as a second entity kind: a shops' scorecard (``--entity
merchant``: the ``merchant`` rule, the shops' four dimensions) is trained as of ``train_as_of``
into ``models/shops/``, every shop is scored as of ``end`` with its reasons set against its
category's norm (``shop_scores.parquet``), and the service holds those scores under the owners'
consent. The demo person is picked among shop owners (a third of the way up their scores), so
their page shows a shop. On the default population (about 650 shops, a few hundred merchant
loans) the shops' model is trained on few defaults: it shows the mechanism, not a validated
model (tests/e2e/test_merchant_model.py validates one on a population with more shops). The
owner's earlier personal score is a shops' feature, but no person is scored before the
training date, so the demo's shops' model cannot learn from it; a bureau with a history of
runs can.

The counterparties' credit and prior-score features read other people's data; they enter a
model only when asked (``TrainSettings.others_data``), so the demo's champion has none. The
report judges fairness at the band edges that approve 5-95% of people and at the cut-off that
approves half of them.

The work folder holds ``sources/`` (simulated files), ``benne.duckdb`` (the store),
``benne.people.sqlite`` (the people's records the service shows them), ``features/``,
``models/champion/``, ``scores.parquet``, ``report.html``, ``service.sqlite`` and a
``benne.toml`` so every ``benne`` command run there uses them. ``demo.json`` holds the demo
partner's key and person's token, so it and ``service.sqlite`` are readable by their owner only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benne import console
from benne.config import write_config
from benne.dates import add_months

__all__ = ["DemoResult", "add_months", "run_demo"]

DEMO_PURPOSE = "lending"


@dataclass
class DemoResult:
    workdir: Path
    paths: dict[str, str] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    partner_id: str | None = None
    partner_key: str | None = None
    person_id: str | None = None
    person_token: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["workdir"] = str(self.workdir)
        return out


class _Clock:
    def __init__(self, result: DemoResult) -> None:
        self.result = result

    def __call__(self, name: str, description: str) -> Any:
        clock = self

        class _Stage:
            def __enter__(self) -> None:
                self.t0 = time.perf_counter()
                console.info(f"[{len(clock.result.stages) + 1}] {description}")

            def __exit__(self, *exc: object) -> None:
                clock.result.stages[name] = round(time.perf_counter() - self.t0, 2)

        return _Stage()


def run_demo(
    workdir: Path,
    *,
    people: int = 20_000,
    seed: int = 42,
    start: dt.date = dt.date(2023, 10, 1),
    months: int = 27,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> DemoResult:
    """Run simulate → ingest → features → train → score → report → service set-up."""
    import pandas as pd

    from benne.features import compute_features
    from benne.features.registry import feature_meta
    from benne.ingest import ingest
    from benne.labels import get_rule
    from benne.models import save_model, train_models
    from benne.pipeline import population_frame
    from benne.pipeline.train import segment_counts
    from benne.report.model import report_from_model
    from benne.scoring import score_frame
    from benne.service import (
        create_partner,
        grant_consent,
        issue_person_token,
        load_scores,
    )
    from benne.simulate import simulate
    from benne.store import open_store, publish_people

    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workdir=workdir)
    stage = _Clock(result)
    paths = {
        "sources": workdir / "sources",
        "store": workdir / "benne.duckdb",
        "features": workdir / "features",
        "model": workdir / "models" / "champion",
        "scores": workdir / "scores.parquet",
        "shops_model": workdir / "models" / "shops",
        "shop_scores": workdir / "shop_scores.parquet",
        "report": workdir / "report.html",
        "service_db": workdir / "service.sqlite",
    }
    for p in (paths["store"], paths["service_db"]):
        if p.exists():
            p.unlink()  # a demo is a fresh run; the sources are simulated again below
    paths["features"].mkdir(exist_ok=True)

    train_as_of = add_months(start, 12)
    as_of = add_months(start, 15)
    end = add_months(start, months)

    with stage("simulate", f"simulating {people:,} people over {months} months"):
        sim = simulate(people, paths["sources"], seed=seed, start=start, months=months)
        result.counts["simulated"] = sim.to_dict().get("rows", {})

    with stage("ingest", "ingesting the sources into the store"):
        loaded = ingest([paths["sources"]], None, paths["store"],
                        now=dt.datetime.combine(end, dt.time()))
        result.counts["ingest"] = {k: v for k, v in loaded.to_dict().items()
                                   if k in ("rows_read", "loaded", "quarantined", "duplicates")}
        publish_people(paths["store"])  # each person's records, as the service shows them

    meta = feature_meta()
    rule = get_rule("credit")
    keys = ["person_id", "as_of"]
    with stage("features", "computing point-in-time features"):
        train_pop = population_frame(paths["store"], train_as_of, rule=rule.name)
        oot_pop = population_frame(paths["store"], as_of, rule=rule.name)
        features = [c for c in train_pop.columns if c in meta]
        for day, pop in ((train_as_of, train_pop), (as_of, oot_pop)):
            pop[keys + features].to_parquet(paths["features"] / f"features_{day}.parquet",
                                             index=False)

    with stage("labels", f"labelling outcomes: {rule.describe()}"):
        train = _labelled(train_pop)
        oot = _labelled(oot_pop)
        result.counts["train_rows"] = int(len(train))
        result.counts["oot_rows"] = int(len(oot))
        result.counts["train_bad_rate"] = round(float(train["bad"].mean()), 4)
        result.counts["excluded_in_default"] = int((train_pop["label_status"]
                                                    == "excluded").sum())
        result.counts["segments"] = {"train": segment_counts(train, "bad"),
                                     "oot": segment_counts(oot, "bad")}

    with stage("train", "training the scorecard and the challenger"):
        models = train_models(
            train[features + ["bad"]], "bad", {f: meta[f] for f in features},
            oot_frame=oot[features + ["bad"]],
        )
        save_model(models, paths["model"], manifest_extra={
            "outcome": rule.describe(),
            "label_rule": rule.to_dict(),
            "model_kind": "bureau",
            "application_columns": [],
            "training_window": {"train_as_of": str(train_as_of), "oot_as_of": str(as_of),
                                "horizon_months": rule.horizon_months,
                                "bad_definition": rule.describe()},
            "segments": result.counts["segments"],
            "population": "simulated",
        })

    with stage("score", "scoring everyone"):
        first = score_frame(models, oot_pop[keys + features], passthrough=keys)
        con = open_store(paths["store"])
        try:
            _record_scores(con, first)
        finally:
            con.close()
        latest_x = compute_features(paths["store"], end).to_pandas()
        latest = score_frame(models, latest_x, passthrough=keys)
        scores = pd.concat([first, latest], ignore_index=True)
        scores.to_parquet(paths["scores"], index=False)
        result.counts["scored"] = int(len(latest))

    with stage("shops", "training the shops' scorecard and scoring every shop"):
        shop_scores = _shops(paths, train_as_of, as_of, end)
        result.counts["shops_scored"] = 0 if shop_scores is None else int(len(shop_scores))

    with stage("report", "writing the validation report"):
        identity = pd.read_parquet(paths["sources"] / "identity.parquet",
                                   columns=["person_id", "gender", "birth_year", "region"])
        truth = pd.read_parquet(paths["sources"] / "truth.parquet",
                                columns=["person_id", "creditworthiness"])
        # Everyone scored as of the validation date: outcomes where the rule gives one, so the
        # thin-file segment's unlabelled people are counted and its labelled ones validated.
        data = oot_pop.merge(identity, on="person_id", how="left").merge(
            truth, on="person_id", how="left")
        data_path = paths["features"] / "report_data.parquet"
        data.to_parquet(data_path, index=False)
        base = train.merge(identity, on="person_id", how="left")
        base_path = paths["features"] / "baseline.parquet"
        base.to_parquet(base_path, index=False)
        report_from_model(paths["model"], data_path, target="bad", baseline=base_path,
                          protected=["gender", "birth_year", "region"], out=paths["report"],
                          latent="creditworthiness")

    url = f"sqlite:///{paths['service_db']}"
    with stage("service", "loading scores into the service and creating demo credentials"):
        load_scores(url, paths["scores"], model_dir=paths["model"])
        owners: set[str] = set()
        if shop_scores is not None:
            _load_shops(url, shop_scores, paths["shops_model"])
            owners = set(shop_scores["owner_person_id"])
        partner_id, key = create_partner(url, "Demo Lender")
        ranked = latest[latest["person_id"].isin(owners)] if owners else latest
        ranked = ranked.sort_values(["score", "person_id"], kind="stable")
        person_id = str(ranked.iloc[len(ranked) // 3]["person_id"])
        token = issue_person_token(url, person_id)
        grant_consent(url, person_id, partner_id, DEMO_PURPOSE)

    write_config(workdir, {
        "store": paths["store"], "database_url": f"sqlite:///{paths['service_db'].name}",
        "model_dir": paths["model"], "scores": paths["scores"], "report": paths["report"],
        "host": host, "port": port,
    })
    result.paths = {k: str(v) for k, v in paths.items()} | {"config": str(workdir / "benne.toml")}
    result.partner_id, result.partner_key = partner_id, key
    result.person_id, result.person_token = person_id, token
    result.url = f"http://{host}:{port}"
    _write_private(workdir / "demo.json", json.dumps(result.to_dict(), indent=2, default=str))
    return result


# Fewer defaults among the shops' merchant loans than this and the demo trains no shops' model
# (a small --people gives a few dozen shops): it says so and goes on without shops.
MIN_SHOP_BADS = 10


def _shops(paths: dict[str, Path], train_as_of: dt.date, as_of: dt.date,
           end: dt.date) -> Any:
    """Train the shops' scorecard, score every shop as of ``end`` (reasons against the
    category's norm, owners attached) and write ``shop_scores.parquet``; None when the
    population has too few shop defaults to train on (:data:`MIN_SHOP_BADS`)."""
    from benne.features import compute_features
    from benne.labels import label_table
    from benne.models import save_model
    from benne.pipeline import train_from_store
    from benne.scoring import score_frame
    from benne.scoring.merchants import with_category_norms
    from benne.service.merchants import attach_owners

    status = label_table(paths["store"], train_as_of, "merchant")["status"]
    bads, goods = int((status == "bad").sum()), int((status == "good").sum())
    if min(bads, goods) < MIN_SHOP_BADS:
        console.info(f"no shops' model: {bads} shop default(s) and {goods} good shop(s) as of "
                     f"{train_as_of}, fewer than {MIN_SHOP_BADS}; simulate more people for "
                     "shop scores")
        return None
    trained = train_from_store(paths["store"], train_as_of, oot_as_of=as_of, entity="merchant",
                               challenger=False)
    save_model(trained.models, paths["shops_model"],
               manifest_extra=trained.manifest_extra | {"population": "simulated"})
    x = compute_features(paths["store"], end, entity="merchant").to_pandas()
    scores = score_frame(trained.models, x, passthrough=["merchant_id", "as_of"])
    scores = attach_owners(with_category_norms(scores, x), paths["store"])
    scores.to_parquet(paths["shop_scores"], index=False)
    return scores


def _load_shops(url: str, scores: Any, model: Path) -> None:
    """The shops' scores into the service, with their model's tips."""
    from benne.service.db import opened
    from benne.service.merchants import load_merchant_scores
    from benne.service.scores import load_reason_catalogue

    with opened(url) as session:
        load_merchant_scores(session, scores, now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                             catalogue=load_reason_catalogue(model))


def _labelled(population: Any) -> Any:
    """The rows of a population frame with an outcome (good or bad), target as 0/1."""
    frame = population[population["label_status"].isin(("good", "bad"))].copy()
    frame["bad"] = frame["bad"].astype("int64")
    return frame.reset_index(drop=True)


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600): it holds the demo's key and token."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _record_scores(con: Any, scores: Any) -> None:
    """Append a scoring run to the store's ``scores_history`` (the interpersonal features of
    later runs read the counterparties' scores from it)."""
    cols = ["person_id", "as_of", "model_version", "score"]
    frame = scores[cols]
    con.register("_new_scores", frame)
    try:
        con.execute(
            "INSERT INTO scores_history (person_id, as_of, model_version, score) "
            "SELECT person_id, CAST(as_of AS DATE), model_version, score FROM _new_scores"
        )
    finally:
        con.unregister("_new_scores")
