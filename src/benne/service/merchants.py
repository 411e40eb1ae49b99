"""Shops' scores in the service: loading a shops' scoring run, and reading it under consent.

A shop has no consent of its own: its owner's consent opens it. A partner reads a shop's score
for a purpose only while the owner holds a live consent for that partner and purpose, the same
consent that opens the owner's own score (one grant, as a shop owner borrows in their own name
and the shop's). The read goes through the partner route's one code path
(:mod:`benne.service.routes.partner`) with the entity ``merchant``: the same refusal (byte for
byte), the same audit entry (``score.read``, with ``entity`` and the shop's id in its detail,
logged under the owner), the same rate limits.

The scores file of a shops' run is :func:`benne.scoring.score_frame`'s table with
``merchant_id`` and ``owner_person_id`` (the store's ``merchants`` table gives it; see
:func:`attach_owners`) and the shops' four dimension columns. Loading is idempotent per
``(merchant_id, as_of, model_version)``.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from benne.dimensions import MERCHANT_DIMENSIONS, dimension_column
from benne.exceptions import ValidationError
from benne.service.db import Consent, MerchantScore, connection_of
from benne.service.scores import BANDS, _reasons

__all__ = ["attach_owners", "load_merchant_scores", "merchant_view", "owner_shops"]

_CONSENTS = cast(Table, Consent.__table__)
_SHOPS = cast(Table, MerchantScore.__table__)
_REQUIRED = ("merchant_id", "owner_person_id", "as_of", "model_version", "score", "band", "pd")


def attach_owners(scores: pd.DataFrame, store: Path | str) -> pd.DataFrame:
    """``scores`` with each shop's ``owner_person_id`` from the store's ``merchants``."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        owners = con.execute("SELECT merchant_id, any_value(owner_person_id) AS owner_person_id "
                             "FROM merchants GROUP BY 1").df()
    out = scores.merge(owners, on="merchant_id", how="left")
    missing = out["owner_person_id"].isna().to_numpy()
    if missing.any():
        raise ValidationError(f"shop {out['merchant_id'].iloc[int(missing.argmax())]!r} has no "
                              "owner in the store's merchants table",
                              where="scores, field merchant_id",
                              fix="score shops of the store the scores came from")
    return out


def load_merchant_scores(session: Session, scores: pd.DataFrame, *, now: datetime,
                         catalogue: dict[str, dict[str, Any]] | None = None) -> int:
    """Insert the shops' runs not yet held; returns how many rows were added."""
    absent = [c for c in _REQUIRED if c not in scores.columns]
    if absent:
        raise ValidationError(f"the shops' scores lack column(s) {', '.join(absent)}",
                              where="scores", fix="score with a shops' model and attach owners")
    held = {(m, a, v) for m, a, v in session.execute(
        select(_SHOPS.c.merchant_id, _SHOPS.c.as_of, _SHOPS.c.model_version))}
    new = []
    for i, r in enumerate(scores.to_dict("records"), start=1):
        as_of = pd.Timestamp(r["as_of"]).date()
        key = (str(r["merchant_id"]), as_of, str(r["model_version"]))
        if key in held:
            continue
        held.add(key)
        if not 350 <= int(r["score"]) <= 950 or str(r["band"]) not in BANDS:
            raise ValidationError(f"score {r['score']!r} / band {r['band']!r} out of range",
                                  where=f"scores, row {i}", fix="re-run the batch scoring")
        dims = {}
        for d in MERCHANT_DIMENSIONS:
            v = r.get(dimension_column(d))
            dims[d] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        new.append({"merchant_id": key[0], "owner_person_id": str(r["owner_person_id"]),
                    "as_of": as_of, "model_version": key[2], "score": int(r["score"]),
                    "band": str(r["band"]), "pd": float(r["pd"]), "dimensions": dims,
                    "reasons": _reasons(r, catalogue or {}), "loaded_at": now})
    if new:
        session.execute(_SHOPS.insert(), new)
    return len(new)


def _run(row: Any) -> dict[str, Any]:
    return {"merchant_id": row["merchant_id"], "as_of": row["as_of"],
            "model_version": row["model_version"], "score": row["score"], "band": row["band"],
            "pd": row["pd"], "dimensions": row["dimensions"], "reasons": row["reasons"]}


_LATEST = (select(_SHOPS).where(_SHOPS.c.merchant_id == bindparam("merchant_id"))
           .order_by(_SHOPS.c.as_of.desc(), _SHOPS.c.id.desc()).limit(1))
_LIVE = (select(_CONSENTS.c.id).where(
    _CONSENTS.c.person_id == bindparam("person_id"),
    _CONSENTS.c.partner_id == bindparam("partner_id"),
    _CONSENTS.c.purpose == bindparam("purpose"),
    _CONSENTS.c.revoked_at.is_(None),
    or_(_CONSENTS.c.expires_at.is_(None), _CONSENTS.c.expires_at > bindparam("now")),
).limit(1))


def merchant_view(conn: Session | Connection, *, merchant_id: str, partner_id: str,
                  purpose: str, now: datetime
                  ) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """``(owner, live consent id, the shop's latest run)`` for a partner's read of a shop.

    ``(None, None, None)`` for a shop the service holds no score of; ``(owner, None, None)``
    without the owner's live consent for this partner and purpose (the run is then not read
    out at all).
    """
    c = connection_of(conn)
    row = c.execute(_LATEST, {"merchant_id": merchant_id}).mappings().first()
    if row is None:
        return None, None, None
    owner = str(row["owner_person_id"])
    live = c.execute(_LIVE, {"person_id": owner, "partner_id": partner_id, "purpose": purpose,
                             "now": now.replace(tzinfo=None)}).scalar()
    if live is None:
        return owner, None, None
    return owner, str(live), _run(row)


def owner_shops(conn: Session | Connection, person_id: str) -> list[dict[str, Any]]:
    """The latest run of each shop the person owns, by shop id."""
    c = connection_of(conn)
    rows = c.execute(select(_SHOPS).where(_SHOPS.c.owner_person_id == person_id)
                     .order_by(_SHOPS.c.merchant_id, _SHOPS.c.as_of.desc(),
                               _SHOPS.c.id.desc())).mappings().all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(str(r["merchant_id"]), _run(r))
    return list(out.values())

