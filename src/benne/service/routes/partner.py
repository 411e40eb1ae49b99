"""The partner read: a score for a stated purpose, only while the person's consent is live.

A refusal is the same ``403 consent_required`` whether or not the person exists or has a score,
so a partner learns nothing about people who have not consented. Every read, granted or refused,
is appended to the audit log; a refusal is committed before the error is raised.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from benne.exceptions import ConsentRequiredError, NotFoundError
from benne.service import audit, consent, scores
from benne.service.deps import ClockDep, PartnerKey, partner_of, transaction
from benne.service.schemas import PartnerScoreOut, Purpose, error_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["partner"])

PersonId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f/]+$")]


@router.get(
    "/scores/{person_id}",
    response_model=PartnerScoreOut,
    responses=error_responses(401, 403, 404, 413, 422, 429),
)
def read_score(
    person_id: PersonId,
    purpose: Annotated[Purpose, Query(description="Why the partner reads the score.")],
    request: Request,
    key: PartnerKey,
    clock: ClockDep,
) -> PartnerScoreOut:
    """A person's latest score, for a partner holding a live consent for this purpose."""
    with transaction(request) as session:
        return _read(request, session, key, person_id, purpose, clock())


def _read(request: Request, session: Session, key: str | None, person_id: str, purpose: str,
          now: datetime) -> PartnerScoreOut:
    partner_id = partner_of(request, session, key)
    live = consent.live_consent(session, person_id=person_id, partner_id=partner_id,
                                purpose=purpose, now=now)
    detail = {"partner_id": partner_id, "purpose": purpose, "consent_id": live,
              "outcome": "granted" if live else "refused"}
    audit.append(session, at=now, actor=f"partner:{partner_id}", action="score.read",
                 person_id=person_id, detail=detail)
    if live is None:
        session.commit()
        raise ConsentRequiredError(
            "this person has not given you a live consent for this purpose",
            fix="ask the person to grant consent for this purpose in benne",
        )
    run = scores.latest(session, person_id)
    if run is None:
        raise NotFoundError("no score is held for this person yet",
                            fix="retry after the next scoring run")
    return PartnerScoreOut(purpose=purpose, **run)
