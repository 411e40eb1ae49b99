"""Admin routes, on only when the settings hold an ``admin_key``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from benne.service import audit
from benne.service.deps import AdminDep, in_thread, transaction
from benne.service.schemas import AuditVerifyOut, error_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["admin"], responses=error_responses(401, 403, 413))


@router.get("/audit/verify", response_model=AuditVerifyOut)
async def verify_audit(_: AdminDep, request: Request) -> AuditVerifyOut:
    """Recompute the audit log's Merkle tree; ``ok`` is false and the first broken entry named
    if a row was altered, removed or added by hand (checkpoints: ``benne audit verify``)."""
    return await in_thread(request, "audit", _verify, request)


def _verify(request: Request) -> AuditVerifyOut:
    with transaction(request) as session:
        return AuditVerifyOut(**audit.verify_log(session).to_dict())
