"""The one error tree of benne, shared by the command line and the service.

::

    BenneError                      exit 1, HTTP 500   something went wrong inside benne
    ├── InputError                  exit 2, HTTP 400   the user's input is wrong; fix it and retry
    │   ├── ConfigError             exit 2, HTTP 400   settings or benne.toml are invalid
    │   ├── SourceFileError         exit 2, HTTP 400   a whole file cannot be loaded (names file)
    │   ├── ValidationError         exit 2, HTTP 422   a record breaks its schema (file, row, field)
    │   ├── NotFoundError           exit 2, HTTP 404   a named thing does not exist
    │   └── InvalidValueError       exit 2, HTTP 400   bad input to an estimator (also a ValueError)
    ├── ModelError                  exit 2, HTTP 500   a model artifact is missing or invalid
    │   └── TamperedArtifactError   exit 2, HTTP 500   an artifact's checksum does not match
    ├── NotFittedError              exit 2, HTTP 500   a model was used before fit
    ├── StoreError                  exit 1, HTTP 500   the store cannot be read or written
    ├── AuthError                   exit 2, HTTP 401   no or bad credentials
    │   └── ForbiddenError          exit 2, HTTP 403   the action is not allowed
    │       └── ConsentRequiredError        HTTP 403   no live consent for this partner and purpose
    ├── ConflictError               exit 2, HTTP 409   the request conflicts with current state
    ├── RateLimitError              exit 2, HTTP 429   too many requests
    └── DriftError                  exit 3, HTTP 500   monitoring found drift over the threshold

Each error also subclasses the matching built-in, as scikit-learn and pydantic-settings do, so
Python callers catch them naturally: :class:`InputError` is a ``ValueError``,
:class:`NotFoundError` also a ``LookupError``, :class:`NotFittedError` a ``ValueError`` and an
``AttributeError`` (scikit-learn's contract), :class:`StoreError` a ``RuntimeError``,
:class:`AuthError` a ``PermissionError``.

Messages say what was expected, what came, and how to fix it. ``where`` names the file, row and
field when there is one, and the command line prints ``error: <what>, <where>, <how to fix>``.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BenneError",
    "ConfigError",
    "ConflictError",
    "ConsentRequiredError",
    "DriftError",
    "ForbiddenError",
    "InputError",
    "InvalidValueError",
    "ModelError",
    "NotFittedError",
    "NotFoundError",
    "RateLimitError",
    "SourceFileError",
    "StoreError",
    "TamperedArtifactError",
    "ValidationError",
]


class BenneError(Exception):
    """Root of every error benne raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fix = fix

    def one_line(self) -> str:
        """``<what was wrong>, <where>, <how to fix>`` without line breaks."""
        parts = [self.message.rstrip(".")]
        if self.where:
            parts.append(self.where)
        if self.fix:
            parts.append(self.fix)
        return ", ".join(p.replace("\n", " ") for p in parts)

    def to_dict(self) -> dict[str, str]:
        out = {"error": self.code, "message": self.message}
        if self.where:
            out["where"] = self.where
        if self.fix:
            out["fix"] = self.fix
        return out


class InputError(BenneError, ValueError):
    exit_code = 2
    http_status = 400
    code = "bad_input"


class ConfigError(InputError):
    code = "bad_config"


class SourceFileError(InputError):
    code = "bad_source_file"


class ValidationError(InputError):
    http_status = 422
    code = "invalid_record"


class NotFoundError(InputError, LookupError):
    http_status = 404
    code = "not_found"


class InvalidValueError(InputError, ValueError):
    """Bad input to one of benne's scikit-learn estimators: also a ``ValueError``, as
    scikit-learn's conventions (and tools such as grid search) expect."""


class ModelError(BenneError):
    exit_code = 2
    code = "model_error"


class TamperedArtifactError(ModelError):
    code = "tampered_artifact"


class NotFittedError(BenneError, ValueError, AttributeError):
    exit_code = 2
    code = "not_fitted"


class StoreError(BenneError, RuntimeError):
    code = "store_error"


class AuthError(BenneError, PermissionError):
    exit_code = 2
    http_status = 401
    code = "unauthorized"


class ForbiddenError(AuthError):
    http_status = 403
    code = "forbidden"


class ConsentRequiredError(ForbiddenError):
    code = "consent_required"


class ConflictError(BenneError):
    exit_code = 2
    http_status = 409
    code = "conflict"


class RateLimitError(BenneError):
    exit_code = 2
    http_status = 429
    code = "rate_limited"


class DriftError(BenneError):
    exit_code = 3
    code = "drift"
