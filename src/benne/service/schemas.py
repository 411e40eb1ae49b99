"""Request and response schemas of the API, kept apart so secrets are never echoed back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from benne.dimensions import DIMENSIONS, MERCHANT_DIMENSIONS
from benne.service.consent import PURPOSE_PATTERN
from benne.sources import SOURCES

__all__ = [
    "AccessEntry",
    "InclusionProofOut",
    "AuditVerifyOut",
    "ConsentCreate",
    "ConsentOut",
    "DisputeCreate",
    "DisputeOut",
    "ErrorOut",
    "MeDataOut",
    "MeScoreOut",
    "MerchantScoreOut",
    "NoticeFactor",
    "NoticeOut",
    "PartnerScoreOut",
    "PopulationOut",
    "Purpose",
    "ReasonOut",
    "ScoreRunOut",
    "ShopOut",
    "SourceName",
    "Text",
    "UtcDateTime",
    "error_responses",
    "naive_utc",
]

SourceName = Literal[tuple(SOURCES)]  # type: ignore[valid-type]
Purpose = Annotated[str, Field(pattern=PURPOSE_PATTERN, examples=["credit"])]
# Printable text: no control characters (PostgreSQL refuses NUL; logs and pages stay clean).
Text = Annotated[str, Field(pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]

# Stored date-times are naive UTC; answers carry the zone (RFC 3339: "2024-07-01T12:00:00Z").
UtcDateTime = Annotated[datetime, AfterValidator(
    lambda v: v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC))]


def naive_utc(value: datetime | None) -> datetime | None:
    """A date-time in UTC without tzinfo, as stored; out-of-range offsets are a bad input."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError as exc:
        raise ValueError("date-time is out of range") from exc


class ErrorOut(BaseModel):
    """Every error: a stable code, a message, and where/fix when known."""

    error: str = Field(examples=["consent_required"])
    message: str
    where: str | None = None
    fix: str | None = None


_ERROR_MEANING = {
    400: "Bad input (bad_input).",
    401: "No or bad credentials (unauthorized).",
    403: "Not allowed; for partner reads, no live consent (consent_required).",
    404: "Not found (not_found).",
    409: "Conflicts with the current state (conflict).",
    413: "Request body over 64 KiB (payload_too_large).",
    422: "The request does not match the schema (invalid_request).",
    429: "Over a rate limit, or backing off after failed logins (rate_limited); see "
         "Retry-After.",
    503: "Busy (busy); retry after Retry-After.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, all in the :class:`ErrorOut` shape."""
    return {c: {"model": ErrorOut, "description": _ERROR_MEANING[c]} for c in codes}


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    purpose: Purpose
    expires_at: datetime | None = Field(None, description="No expiry when left out.")

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return naive_utc(v)


class ConsentOut(BaseModel):
    id: str
    partner_id: str
    partner_name: str
    purpose: str
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    live: bool


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: SourceName  # type: ignore[valid-type]
    record_id: Annotated[Text, Field(min_length=1, max_length=400)]
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class DisputeOut(BaseModel):
    id: str
    source: str
    record_id: str
    reason: str
    status: Literal["open", "upheld", "rejected"]
    created_at: UtcDateTime
    resolved_at: UtcDateTime | None
    due_at: UtcDateTime | None = Field(
        None, description="Verified by then, or the record is removed from scoring.")
    held: bool = Field(False, description="The record is held out of scoring now.")


class ReasonOut(BaseModel):
    code: str
    text: str
    tip: str | None = None
    feature: str | None = None
    what_if: int | None = Field(
        None, description="The score with this one feature in its best range, from the "
                          "scorecard's points (exactly what rescoring with it moved gives).")


class ScoreRunOut(BaseModel):
    as_of: date
    model_version: str
    score: int
    band: str


class PartnerScoreOut(BaseModel):
    person_id: str
    purpose: str
    as_of: date
    model_version: str
    score: int = Field(ge=350, le=950)
    band: str
    pd: float
    dimensions: dict[str, float | None] = Field(examples=[{d: 50.0 for d in DIMENSIONS}])
    reasons: list[ReasonOut]
    open_disputes: int = Field(0, description="The person's records under dispute, being "
                                              "reinvestigated: the score may change.")


class MerchantScoreOut(BaseModel):
    """A shop's latest score, read under its owner's consent (four dimensions of its own)."""

    merchant_id: str
    purpose: str
    as_of: date
    model_version: str
    score: int = Field(ge=350, le=950)
    band: str
    pd: float
    dimensions: dict[str, float | None] = Field(
        examples=[{d: 50.0 for d in MERCHANT_DIMENSIONS}])
    reasons: list[ReasonOut]


class ShopOut(BaseModel):
    """One of the signed-in owner's shops: its latest score, reasons and tips."""

    merchant_id: str
    as_of: date
    model_version: str
    score: int
    band: str
    pd: float
    dimensions: dict[str, float | None]
    reasons: list[ReasonOut]


class MeScoreOut(BaseModel):
    person_id: str
    as_of: date
    model_version: str
    score: int
    band: str
    pd: float
    dimensions: dict[str, float | None]
    reasons: list[ReasonOut]
    history: list[ScoreRunOut]


class InclusionProofOut(BaseModel):
    """That one audit entry is in the audit log's Merkle tree of ``tree_size`` entries (RFC 6962).

    Check: ``SHA-256(0x00 || UTF-8 of leaf)`` is ``leaf_hash``; walking ``proof`` from it as
    RFC 9162 section 2.1.3.2 says gives ``root``; a checkpoint signed by the log for this
    size (``benne audit checkpoint``) names the same root.
    """

    seq: int = Field(description="The entry's number in the log, from 1.")
    leaf_index: int = Field(description="The entry's leaf index in the tree: seq - 1.")
    leaf: str = Field(description="The entry's canonical JSON, the tree's leaf.")
    leaf_hash: str
    tree_size: int
    root: str
    proof: list[str] = Field(description="Hashes (hex), the leaf's nearest sibling first.")


class AccessEntry(BaseModel):
    at: UtcDateTime
    partner_id: str
    partner_name: str | None
    purpose: str | None
    outcome: Literal["granted", "refused"]
    merchant_id: str | None = Field(
        None, description="The shop of yours whose score was asked for; null: your own score.")
    inclusion: InclusionProofOut = Field(
        description="The entry's inclusion proof in the audit log at the time of this answer.")


class MeDataOut(BaseModel):
    person_id: str
    scores: list[dict[str, Any]]
    consents: list[ConsentOut]
    disputes: list[DisputeOut]
    access_log: list[AccessEntry]
    store: dict[str, list[dict[str, Any]]] = Field(
        description="The person's rows of every source table of the store, by source."
    )


class AuditVerifyOut(BaseModel):
    ok: bool
    count: int
    first_broken_seq: int | None
    reason: str | None
    root: str | None = Field(None, description="Root hash (hex) of the intact entries.")


class NoticeFactor(BaseModel):
    code: str
    text: str


class NoticeOut(BaseModel):
    """An adverse-action notice, as sent to the partner and shown to the person."""

    notice_id: int
    person_id: str
    partner_id: str
    partner_name: str | None = None
    purpose: str
    issued_at: UtcDateTime
    as_of: date
    model_version: str
    score: int
    band: str
    scale_min: int
    scale_max: int
    key_factors: list[NoticeFactor] = Field(max_length=4)
    bureau_name: str
    bureau_contact: str
    dispute_answer_days: int
    rights: list[str]


class PopulationOut(BaseModel):
    """The spread (10th-90th percentiles) of the score and each dimension in the latest run."""

    as_of: date
    people: int
    score: dict[str, float] | None
    dimensions: dict[str, dict[str, float] | None]

