"""The person's rights: consents, their score, all data held on them, disputes, access log.

Each route is ``async`` and does its database work in one transaction in the person thread
pool (:func:`benne.service.deps.in_thread`); the records of the store come from the snapshot
the batch publishes (:mod:`benne.service.records`), never from the store itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session

from benne.config import Settings
from benne.exceptions import NotFoundError
from benne.service import audit, consent, disputes, records, scores
from benne.service.db import AuditEntry, Consent, Dispute, Partner
from benne.service.deps import (
    ClockDep,
    PersonCredentials,
    SettingsDep,
    in_thread,
    person_of,
    transaction,
)
from benne.service.schemas import (
    AccessEntry,
    ConsentCreate,
    ConsentOut,
    DisputeCreate,
    DisputeOut,
    InclusionProofOut,
    MeDataOut,
    MeScoreOut,
    ScoreRunOut,
    ShopOut,
    error_responses,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["person"],
                   responses=error_responses(401, 413, 422, 429, 503))
_T = TypeVar("_T")


async def _as_person(request: Request, auth: HTTPAuthorizationCredentials | None,
                     now: datetime, work: Callable[[Session, str], _T]) -> _T:
    """``work(session, person_id)`` in one transaction, off the loop, for the token's person."""

    def run() -> _T:
        with transaction(request) as session:
            return work(session, person_of(request, session, auth, now))

    return await in_thread(request, "person", run)


def _partner_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids)))
    return {pid: name for pid, name in rows}


def _consents_out(session: Session, rows: list[Consent], now: Any) -> list[ConsentOut]:
    names = _partner_names(session, {c.partner_id for c in rows})
    return [
        ConsentOut(id=c.id, partner_id=c.partner_id, partner_name=names.get(c.partner_id, ""),
                   purpose=c.purpose, created_at=c.created_at, expires_at=c.expires_at,
                   revoked_at=c.revoked_at, live=consent.is_live(c, now))
        for c in rows
    ]


def _dispute_out(d: Dispute, now: datetime) -> DisputeOut:
    return DisputeOut(id=d.id, source=d.source, record_id=d.record_id, reason=d.reason,
                      status=d.status, created_at=d.created_at, resolved_at=d.resolved_at,
                      due_at=d.due_at, held=disputes.holding(d, now))


def _flag(found: list[Dispute], now: datetime) -> str | None:
    """A record's dispute flag: ``held`` (out of scoring), ``open``, ``rejected`` or None."""
    if any(disputes.holding(d, now) for d in found):
        return "held"
    if any(d.status == "open" for d in found):
        return "open"
    return "rejected" if found else None


def _access_log(session: Session, person_id: str) -> list[AccessEntry]:
    head = audit.tree_head(session)  # first: entries appended after it are not in this tree
    stmt = (select(AuditEntry)
            .where(AuditEntry.person_id == person_id, AuditEntry.action == "score.read",
                   AuditEntry.seq <= head.size)
            .order_by(AuditEntry.seq.desc()))
    entries = [(e.seq, e.at, json.loads(e.detail)) for e in session.execute(stmt).scalars()]
    proofs = audit.inclusion_proofs(session, [seq for seq, _, _ in entries], head)
    names = _partner_names(session, {d.get("partner_id", "") for _, _, d in entries})
    return [
        AccessEntry(at=at, partner_id=d.get("partner_id", ""),
                    partner_name=names.get(d.get("partner_id", "")), purpose=d.get("purpose"),
                    outcome="granted" if d.get("outcome") == "granted" else "refused",
                    merchant_id=d.get("merchant_id") if d.get("entity") == "merchant" else None,
                    inclusion=InclusionProofOut(**proof.to_dict()))
        for (_, at, d), proof in zip(entries, proofs, strict=True)
    ]


@router.post("/consents", status_code=201, response_model=ConsentOut,
             responses=error_responses(400, 404))
async def grant_consent(body: ConsentCreate, request: Request, auth: PersonCredentials,
                        clock: ClockDep) -> ConsentOut:
    """Let one partner read your score for one purpose, until you revoke it or it expires."""
    now = clock()

    def work(session: Session, person_id: str) -> ConsentOut:
        row = consent.grant(session, person_id=person_id, partner_id=body.partner_id,
                            purpose=body.purpose, expires_at=body.expires_at, now=now)
        return _consents_out(session, [row], now)[0]

    return await _as_person(request, auth, now, work)


@router.get("/consents", response_model=list[ConsentOut])
async def list_consents(request: Request, auth: PersonCredentials,
                        clock: ClockDep) -> list[ConsentOut]:
    """Every consent you have given, live or not."""
    now = clock()
    return await _as_person(request, auth, now, lambda session, person_id: _consents_out(
        session, consent.list_for_person(session, person_id), now))


@router.delete("/consents/{consent_id}", status_code=204, responses=error_responses(404))
async def revoke_consent(
    consent_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")],
    request: Request, auth: PersonCredentials, clock: ClockDep,
) -> Response:
    """Revoke a consent at once: the partner's next read is refused."""
    now = clock()
    await _as_person(request, auth, now, lambda session, person_id: consent.revoke(
        session, person_id=person_id, consent_id=consent_id, now=now))
    return Response(status_code=204)


@router.get("/me/score", response_model=MeScoreOut, responses=error_responses(404))
async def my_score(request: Request, auth: PersonCredentials, clock: ClockDep) -> MeScoreOut:
    """Your latest score, its five dimensions, the reasons with tips, and your history."""
    runs = await _as_person(request, auth, clock(), lambda session, person_id: scores.history(
        session, person_id))
    if not runs:
        raise NotFoundError("no score is held for you yet", fix="check again after the next run")
    history = [ScoreRunOut(as_of=r.as_of, model_version=r.model_version, score=r.score,
                           band=r.band) for r in runs]
    latest = max(runs, key=lambda r: (r.as_of, r.id))
    return MeScoreOut(history=history, **scores.score_dict(latest))


@router.get("/me/merchants", response_model=list[ShopOut])
async def my_shops(request: Request, auth: PersonCredentials, clock: ClockDep) -> list[ShopOut]:
    """Your shops' latest scores, their four dimensions, and the reasons with tips (empty
    when you own no scored shop)."""
    from benne.service.merchants import owner_shops

    return await _as_person(request, auth, clock(), lambda session, person_id: [
        ShopOut(**run) for run in owner_shops(session, person_id)])


@router.get("/me/data", response_model=MeDataOut)
async def my_data(request: Request, auth: PersonCredentials, settings: SettingsDep,
                  clock: ClockDep) -> Response:
    """Everything held on you: scores, consents, disputes, access log, and your store records."""
    now = clock()
    # Serialised in the worker thread too: the answer can be large, and validating and dumping
    # it on the event loop would hold up every other request of this worker.
    body = await _as_person(request, auth, now, lambda session, person_id: _my_data(
        session, person_id, settings, now).model_dump_json())
    return Response(body, media_type="application/json")


def _my_data(session: Session, person_id: str, settings: Settings, now: datetime) -> MeDataOut:
    held = records.person_records(records.snapshot_path(settings.store), person_id)
    keys = {(source, str(row.get("_record_id"))) for source, rows in held.items() for row in rows}
    on_records: dict[tuple[str, str], list[Dispute]] = {}
    for d in disputes.on_records(session, keys):
        on_records.setdefault((d.source, d.record_id), []).append(d)
    for source, rows in held.items():
        for row in rows:
            row["_dispute"] = _flag(on_records.get((source, str(row.get("_record_id"))), []),
                                    now)
    mine = disputes.list_for_person(session, person_id)
    return MeDataOut(
        person_id=person_id,
        scores=[scores.score_dict(r) for r in scores.history(session, person_id)],
        consents=_consents_out(session, consent.list_for_person(session, person_id), now),
        disputes=[_dispute_out(d, now) for d in mine],
        access_log=_access_log(session, person_id),
        store=held,
    )


@router.post("/me/disputes", status_code=201, response_model=DisputeOut,
             responses=error_responses(400, 404, 409))
async def file_dispute(body: DisputeCreate, request: Request, auth: PersonCredentials,
                       settings: SettingsDep, clock: ClockDep) -> DisputeOut:
    """Dispute a record that is yours or that you are a party to.

    The record stays in scoring, flagged as disputed, while it is reinvestigated; it is held
    out when the dispute is upheld or not verified within the deadline (``due_at``).
    """
    now = clock()

    def work(session: Session, person_id: str) -> DisputeOut:
        row = disputes.file_dispute(session, person_id=person_id, source=body.source,
                                    record_id=body.record_id, reason=body.reason, now=now,
                                    snapshot=records.snapshot_path(settings.store),
                                    days=settings.dispute_days)
        return _dispute_out(row, now)

    return await _as_person(request, auth, now, work)


@router.get("/me/disputes", response_model=list[DisputeOut])
async def my_disputes(request: Request, auth: PersonCredentials,
                      clock: ClockDep) -> list[DisputeOut]:
    """Your disputes and their status (open, upheld, rejected), deadline and effect."""
    now = clock()
    return await _as_person(request, auth, now, lambda session, person_id: [
        _dispute_out(d, now) for d in disputes.list_for_person(session, person_id)])


@router.get("/me/access-log", response_model=list[AccessEntry])
async def my_access_log(request: Request, auth: PersonCredentials,
                        clock: ClockDep) -> list[AccessEntry]:
    """Who asked for your score, when and why, newest first (refused requests too)."""
    return await _as_person(request, auth, clock(), _access_log)
