"""The partner read: a score for a stated purpose, only while the person's consent is live.

A refusal is the same ``403 consent_required`` whether or not the person exists or has a score,
so a partner learns nothing about people who have not consented. Every read, granted or refused,
is appended to the audit log and committed before the answer (or the refusal) is sent; a read
with a live consent but no score yet reads nothing and logs nothing. A refused read is
logged in bounded form: the id the partner asked for is kept only when it names a person the
service knows; otherwise the entry holds a short digest of it, so a partner cannot write ids
of its choosing into the log.

The route is ``async`` and runs in the partner thread pool (see
:func:`benne.service.deps.in_thread`), so the event loop never waits for the database: one
short read-only transaction (key, consent, score), then the audit entry handed to the process's
:class:`~benne.service.audit_writer.GroupAppender`, which commits the entries of concurrent
reads together; the answer is serialised once, on the loop. ``open_disputes`` tells the
partner how many of the person's records are being reinvestigated.

``GET /v1/merchants/{merchant_id}/score`` reads a shop's score through the same path with the
entity ``merchant``: the shop's owner's consent opens it (:mod:`benne.service.merchants`), a
refusal is the same ``403`` byte for byte (whether the shop exists or not), and the read is
audited as ``score.read`` under the owner with ``entity`` and the shop's id in its detail (an
unknown shop's id is logged as a digest, like an unknown person's).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import Connection

from benne.exceptions import ConsentRequiredError, NotFoundError
from benne.service import audit, consent, merchants
from benne.service.deps import ClockDep, PartnerKey, in_thread, partner_of, read_connection
from benne.service.schemas import MerchantScoreOut, PartnerScoreOut, Purpose, error_responses

__all__ = ["logged_person", "router"]

router = APIRouter(prefix="/v1", tags=["partner"])

PersonId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f/]+$")]


@router.get(
    "/scores/{person_id}",
    response_model=PartnerScoreOut,
    responses=error_responses(401, 403, 404, 413, 422, 429, 503),
)
async def read_score(
    person_id: PersonId,
    purpose: Annotated[Purpose, Query(description="Why the partner reads the score.")],
    request: Request,
    key: PartnerKey,
    clock: ClockDep,
) -> Response:
    """A person's latest score, for a partner holding a live consent for this purpose."""
    return await _answer(request, key, person_id, purpose, clock(), "person")


MerchantId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f/]+$")]


@router.get(
    "/merchants/{merchant_id}/score",
    response_model=MerchantScoreOut,
    responses=error_responses(401, 403, 404, 413, 422, 429, 503),
)
async def read_merchant_score(
    merchant_id: MerchantId,
    purpose: Annotated[Purpose, Query(description="Why the partner reads the score.")],
    request: Request,
    key: PartnerKey,
    clock: ClockDep,
) -> Response:
    """A shop's latest score, for a partner holding the owner's live consent for this purpose."""
    return await _answer(request, key, merchant_id, purpose, clock(), "merchant")


async def _answer(request: Request, key: str | None, entity_id: str, purpose: str,
                  now: datetime, entity: str) -> Response:
    answer = await in_thread(request, "partner", _transaction, request, key, entity_id, purpose,
                             now, entity)
    if isinstance(answer, ConsentRequiredError):
        raise answer  # after the commit: the refusal stays in the audit log
    # Serialised here, once: returned as a model it would be validated and dumped again
    # against response_model, which still documents the answer.
    return Response(answer.model_dump_json(), media_type="application/json")


def logged_person(conn: Connection, person_id: str, live: str | None,
                  detail: dict[str, object]) -> str | None:
    """The person id a partner's request is logged under, in bounded form.

    A granted request, or a refused one about a person the service knows, keeps the id; a
    refused one about an unknown id logs none and puts a short digest of it in ``detail``.
    """
    if live is None and not consent.known_person(conn, person_id):
        detail["asked_for"] = hashlib.sha256(person_id.encode()).hexdigest()[:16]
        return None
    return person_id


def _transaction(request: Request, key: str | None, entity_id: str, purpose: str,
                 now: datetime, entity: str = "person"
                 ) -> PartnerScoreOut | MerchantScoreOut | ConsentRequiredError:
    with read_connection(request) as conn:
        partner_id, live, run, logged, detail = _read(request, conn, key, entity_id, purpose,
                                                      now, entity)
    if live is not None and run is None:
        raise NotFoundError("no score is held for this person yet",
                            fix="retry after the next scoring run")
    # Committed before the answer leaves: a partner never holds a score whose read is not in
    # the log. The writer commits the entries of concurrent reads together (group commit).
    request.app.state.audit_writer.append(audit.Entry(
        at=now, actor=f"partner:{partner_id}", action="score.read", person_id=logged,
        detail=detail))
    if live is None:
        return ConsentRequiredError(
            "this person has not given you a live consent for this purpose",
            fix="ask the person to grant consent for this purpose in benne",
        )
    if entity == "merchant":
        return MerchantScoreOut(purpose=purpose, **run)  # type: ignore[arg-type]
    return PartnerScoreOut(purpose=purpose, **run)  # type: ignore[arg-type]


def _read(request: Request, conn: Connection, key: str | None, entity_id: str, purpose: str,
          now: datetime, entity: str = "person"
          ) -> tuple[str, str | None, dict[str, Any] | None, str | None, dict[str, object]]:
    """Authenticate, then read the consent and the score: (partner, consent, run, logged id,
    audit detail)."""
    partner_id = partner_of(request, conn, key)
    detail: dict[str, object] = {"partner_id": partner_id, "purpose": purpose}
    if entity == "merchant":
        owner, live, run = merchants.merchant_view(conn, merchant_id=entity_id,
                                                   partner_id=partner_id, purpose=purpose,
                                                   now=now)
        detail["entity"] = "merchant"
        if owner is None:
            detail["asked_for"] = hashlib.sha256(entity_id.encode()).hexdigest()[:16]
        else:
            detail["merchant_id"] = entity_id
        detail.update({"consent_id": live, "outcome": "granted" if live else "refused"})
        return partner_id, live, run, owner, detail
    live, run = consent.partner_view(conn, person_id=entity_id, partner_id=partner_id,
                                     purpose=purpose, now=now)
    detail.update({"consent_id": live, "outcome": "granted" if live else "refused"})
    return partner_id, live, run, logged_person(conn, entity_id, live, detail), detail
