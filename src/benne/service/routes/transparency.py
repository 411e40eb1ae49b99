"""The audit log's public face: signed checkpoints and consistency proofs, for witnesses.

Nothing here names a person or a partner: a checkpoint is the tree's size and root hash, a
consistency proof a list of hashes. A witness (a partner, a regulator) keeps the last
checkpoint it saw, fetches a new one, and checks with the consistency proof between the two
that the log only grew (``benne audit witness`` does exactly this).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from benne.exceptions import ConfigError, InputError, NotFoundError
from benne.service import audit, checkpoint
from benne.service.deps import ClockDep, SettingsDep, in_thread, transaction
from benne.service.schemas import error_responses

__all__ = ["router"]

log = logging.getLogger("benne.service")

router = APIRouter(prefix="/v1/audit", tags=["audit log"],
                   responses=error_responses(404, 413, 422))


class ConsistencyOut(BaseModel):
    first: int = Field(description="Size of the older tree.")
    second: int = Field(description="Size of the newer tree.")
    proof: list[str] = Field(description="RFC 9162 consistency proof, hashes in hex.")


def _key(settings: SettingsDep) -> checkpoint.LogKey:
    path = checkpoint.key_path(settings)
    try:
        return checkpoint.load_key(path)
    except ConfigError as exc:  # the reason names a path of the server: logged, not answered
        if path.exists():
            log.error("audit signing key: %s", exc.one_line())
        raise NotFoundError("this service signs no checkpoints",
                            fix="the operator makes the signing key with `benne audit key`"
                            ) from None


_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}},
          "description": "Successful Response"}}


@router.get("/checkpoint", response_class=Response, responses=_TEXT)
async def signed_checkpoint(request: Request, settings: SettingsDep, clock: ClockDep) -> Response:
    """The audit log's current size and root hash, signed (a C2SP tlog-checkpoint)."""
    return await in_thread(request, "audit", _checkpoint, request, settings, clock())


def _checkpoint(request: Request, settings: SettingsDep, now: datetime) -> Response:
    key = _key(settings)
    with transaction(request) as session:
        head = audit.tree_head(session)
        if audit.root_at(session, head.size) != head.root:
            raise NotFoundError("the audit log's head does not match its tree; no checkpoint",
                                fix="the operator runs `benne audit verify`")
    note = checkpoint.Checkpoint(key.name, head.size, head.root, now).sign(key)
    return PlainTextResponse(note)


@router.get("/key", response_class=Response, responses=_TEXT)
async def verifier_key(settings: SettingsDep) -> Response:
    """The log's verifier key (name, key ID, Ed25519 public key); pin it from a trusted copy."""
    return PlainTextResponse(_key(settings).verifier().to_text() + "\n")


@router.get("/consistency", response_model=ConsistencyOut, responses=error_responses(400))
async def consistency(
    request: Request,
    first: Annotated[int, Query(ge=0, description="Size of the checkpoint you hold.")],
    second: Annotated[int | None, Query(ge=0, description="Newer size; default: now.")] = None,
) -> ConsistencyOut:
    """The proof that the log of ``second`` entries extends the log of ``first`` entries."""
    return await in_thread(request, "audit", _consistency, request, first, second)


def _consistency(request: Request, first: int, second: int | None) -> ConsistencyOut:
    with transaction(request) as session:
        size = audit.tree_head(session).size
        second = size if second is None else second
        if not first <= second <= size:
            raise InputError(f"sizes must satisfy first <= second <= {size}; got {first} and "
                             f"{second}", fix="ask from the size of a checkpoint you hold")
        proof = audit.consistency_proof(session, first, second)
    return ConsistencyOut(first=first, second=second, proof=[p.hex() for p in proof])
