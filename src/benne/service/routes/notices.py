"""Adverse-action notices, the notices a person can see, and the population's spread.

``GET /v1/scores/{person_id}/notice?purpose=`` is the partner's: under the same live consent as
the score read (the same ``403 consent_required`` otherwise, whether or not the person exists),
it returns what a person told "no" is owed: the score and the scale's range, the date, up to
four key factors from the model that produced the score, the bureau's name and contact from the
settings, and the person's rights (a free copy of their data, how to dispute, the days the
bureau answers within). Every notice, granted or refused, is appended to the audit log as
``notice.sent``; the granted ones carry the notice itself, so ``GET /v1/me/notices`` shows the
person every notice sent about them, exactly as sent, and the printable page ``/notices`` reads
it.

``GET /v1/population`` gives, for the latest scoring run, the spread of the score and of each
dimension (10th, 25th, 50th, 75th and 90th percentiles): the person's page draws each of their
dimensions against it.

The routes work as the partner read and the person's routes do (:mod:`benne.service.deps`):
``async``, with one transaction in the partner or the person thread pool, under the partner's
or the token's rate limit. A refused notice is logged in the same bounded form as a refused
read (:func:`benne.service.routes.partner.logged_person`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Connection, func, select

from benne.config import Settings
from benne.dimensions import DIMENSIONS, dimension_column
from benne.exceptions import ConsentRequiredError, NotFoundError
from benne.models.settings import Scale
from benne.service import audit, consent
from benne.service.db import AuditEntry, Partner, Score
from benne.service.deps import (
    ClockDep,
    PartnerKey,
    PersonCredentials,
    SettingsDep,
    in_thread,
    partner_of,
    person_of,
    transaction,
    write_connection,
)
from benne.service.routes.partner import logged_person
from benne.service.schemas import NoticeOut, PopulationOut, Purpose, error_responses

__all__ = ["NOTICE_ACTION", "router"]

router = APIRouter(prefix="/v1", tags=["notices"])
NOTICE_ACTION = "notice.sent"
MAX_FACTORS = 4
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)

PersonId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f/]+$")]


def rights(settings: Settings) -> list[str]:
    """The person's rights, as every notice states them."""
    days = settings.dispute_answer_days
    return [
        "You can get a free copy of everything the bureau holds on you, at any time: sign in "
        "to your benne page and download it, or ask the bureau.",
        "You can dispute any record you believe is wrong or incomplete: it is left out of your "
        f"next score while the dispute is open, and the bureau answers within {days} days.",
        "You can see who asked for your score and why, and revoke any consent you gave, at "
        "any time.",
        "The lender, not the bureau, took the decision; the bureau can tell you what your "
        "score rests on; the key factors of this notice are the ones that cost you most.",
    ]


def _notice(run: dict[str, Any], *, partner_id: str, partner_name: str | None, purpose: str,
            now: datetime, settings: Settings) -> dict[str, Any]:
    scale = Scale()
    factors = [{"code": r["code"], "text": r["text"]}
               for r in (run.get("reasons") or [])[:MAX_FACTORS]]
    return {
        "person_id": run["person_id"], "partner_id": partner_id, "partner_name": partner_name,
        "purpose": purpose, "issued_at": now.replace(tzinfo=None).isoformat(),
        "as_of": str(run["as_of"]), "model_version": run["model_version"],
        "score": int(run["score"]), "band": run["band"],
        "scale_min": scale.min, "scale_max": scale.max, "key_factors": factors,
        "bureau_name": settings.bureau_name, "bureau_contact": settings.bureau_contact,
        "dispute_answer_days": settings.dispute_answer_days, "rights": rights(settings),
    }


@router.get(
    "/scores/{person_id}/notice",
    response_model=NoticeOut,
    responses=error_responses(401, 403, 404, 413, 422, 429, 503),
)
async def send_notice(
    person_id: PersonId,
    purpose: Annotated[Purpose, Query(description="The purpose the score was read for.")],
    request: Request,
    key: PartnerKey,
    clock: ClockDep,
    settings: SettingsDep,
) -> NoticeOut:
    """The adverse-action notice for a person who consented to this partner and purpose."""
    answer = await in_thread(request, "partner", _transaction, request, key, person_id, purpose,
                             clock(), settings)
    if isinstance(answer, ConsentRequiredError):
        raise answer  # after the commit: the refusal stays in the audit log
    return answer


def _transaction(request: Request, key: str | None, person_id: str, purpose: str,
                 now: datetime, settings: Settings) -> NoticeOut | ConsentRequiredError:
    with write_connection(request) as conn:
        return _send(request, conn, key, person_id, purpose, now, settings)


def _send(request: Request, conn: Connection, key: str | None, person_id: str, purpose: str,
          now: datetime, settings: Settings) -> NoticeOut | ConsentRequiredError:
    partner_id = partner_of(request, conn, key)
    live, run = consent.partner_view(conn, person_id=person_id, partner_id=partner_id,
                                     purpose=purpose, now=now)
    detail: dict[str, Any] = {"partner_id": partner_id, "purpose": purpose, "consent_id": live,
                              "outcome": "granted" if live else "refused"}
    notice = None
    if live is not None and run is not None:
        name = conn.execute(select(Partner.name).where(Partner.id == partner_id)).scalar()
        notice = _notice(run, partner_id=partner_id, partner_name=name, purpose=purpose,
                         now=now, settings=settings)
        detail["notice"] = notice
    seq = audit.append(conn, at=now, actor=f"partner:{partner_id}", action=NOTICE_ACTION,
                       person_id=logged_person(conn, person_id, live, detail), detail=detail)
    if live is None:
        return ConsentRequiredError(
            "this person has not given you a live consent for this purpose",
            fix="ask the person to grant consent for this purpose in benne",
        )
    if notice is None:
        raise NotFoundError("no score is held for this person yet",
                            fix="retry after the next scoring run")
    return NoticeOut(notice_id=seq, **notice)


@router.get("/me/notices", response_model=list[NoticeOut], tags=["person"],
            responses=error_responses(401, 413, 422, 429, 503))
async def my_notices(request: Request, auth: PersonCredentials,
                     clock: ClockDep) -> list[NoticeOut]:
    """Every adverse-action notice sent about you, newest first, exactly as sent."""
    now = clock()

    def run() -> list[tuple[int, str]]:
        with transaction(request) as session:
            person_id = person_of(request, session, auth, now)
            stmt = (select(AuditEntry.seq, AuditEntry.detail)
                    .where(AuditEntry.person_id == person_id,
                           AuditEntry.action == NOTICE_ACTION)
                    .order_by(AuditEntry.seq.desc()))
            return [(int(seq), detail) for seq, detail in session.execute(stmt)]

    out = []
    for seq, detail in await in_thread(request, "person", run):
        notice = json.loads(detail).get("notice")
        if notice:
            out.append(NoticeOut(notice_id=seq, **notice))
    return out


@router.get("/population", response_model=PopulationOut, tags=["person"],
            responses=error_responses(401, 404, 413, 422, 429, 503))
async def population(request: Request, auth: PersonCredentials,
                     clock: ClockDep) -> PopulationOut:
    """The spread of the score and of each dimension in the latest scoring run."""
    now = clock()

    def run() -> dict[str, Any]:
        with transaction(request) as session:
            person_of(request, session, auth, now)
            latest = session.execute(select(func.max(Score.as_of))).scalar()
            if latest is None:
                raise NotFoundError("no scores are held yet",
                                    fix="check again after the next run")
            count = session.execute(
                select(func.count()).select_from(Score).where(Score.as_of == latest)).scalar()
            key = (latest, int(count or 0))
            cache: dict[Any, dict[str, Any]] = request.app.state.population_cache
            spread = cache.get(key)
            if spread is None:
                cols = [Score.score] + [getattr(Score, dimension_column(d)) for d in DIMENSIONS]
                rows = session.execute(select(*cols).where(Score.as_of == latest)).all()
                spread = _spread(rows, latest, key[1])
                cache.clear()  # one entry: the latest run's
                cache[key] = spread
            return spread

    return PopulationOut(**await in_thread(request, "person", run))


def _spread(rows: Sequence[Any], as_of: Any, count: int) -> dict[str, Any]:
    data = np.array([[np.nan if v is None else float(v) for v in r] for r in rows],
                    dtype=np.float64).reshape(-1, 1 + len(DIMENSIONS))

    def q(col: np.ndarray) -> dict[str, float] | None:
        col = col[~np.isnan(col)]
        if not col.size:
            return None
        return {f"p{round(p * 100)}": round(float(np.quantile(col, p)), 1) for p in QUANTILES}

    return {"as_of": as_of, "people": count, "score": q(data[:, 0]),
            "dimensions": {d: q(data[:, 1 + i]) for i, d in enumerate(DIMENSIONS)}}
