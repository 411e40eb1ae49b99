"""Settings: one object from ``BENNE_*`` environment variables and an optional ``benne.toml``.

Precedence, highest first: explicit arguments, ``BENNE_*`` environment variables, the
``benne.toml`` found in the working directory (or named by ``BENNE_CONFIG``), the defaults.
Relative paths in a ``benne.toml`` are relative to the folder that holds it, so a work folder
written by ``benne demo`` can be used from anywhere.

Example ``benne.toml``::

    store = "benne.duckdb"
    database_url = "sqlite:///service.sqlite"
    model_dir = "models/champion"
    host = "127.0.0.1"
    port = 8000
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from benne.exceptions import ConfigError

__all__ = ["Settings", "find_config", "load_settings", "write_config"]

CONFIG_NAME = "benne.toml"


class Settings(BaseSettings):
    """Everything benne needs to know about where things live."""

    model_config = SettingsConfigDict(env_prefix="BENNE_", extra="ignore")

    store: Path = Field(Path("benne.duckdb"), description="DuckDB store file.")
    database_url: str = Field(
        "sqlite:///benne-service.sqlite", description="SQLAlchemy URL of the service database."
    )
    model_dir: Path = Field(Path("models/champion"), description="Published model artifact.")
    scores: Path | None = Field(None, description="Scores file loaded by the service.")
    report: Path | None = Field(None, description="Latest report HTML.")
    host: str = Field("127.0.0.1", description="Service host.")
    port: int = Field(8000, ge=1, le=65535, description="Service port.")
    admin_key: str | None = Field(None, description="Admin API key; admin routes off when unset.")
    pseudonymize_key: str | None = Field(
        None, description="Key for hashing raw personal identifiers into person ids at load."
    )
    rate_limit_per_minute: int = Field(6000, ge=1, description="Partner requests per minute.")
    person_rate_limit_per_minute: int = Field(
        300, ge=1, description="Requests per minute of one person token.")
    address_rate_limit_per_minute: int = Field(
        12000, ge=1, description="Requests per minute from one client address, on every route.")
    dispute_days: int = Field(
        30, ge=1, le=365, description="Days to verify a disputed record before it is removed.")
    config_path: Path | None = Field(None, description="The benne.toml these came from.")

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if "://" not in v:
            raise ValueError(
                f"database_url must be a SQLAlchemy URL like sqlite:///file; got {v!r}"
            )
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def find_config(start: Path | None = None) -> Path | None:
    """``BENNE_CONFIG`` if set, else ``benne.toml`` in ``start`` (default: the working folder)."""
    env = os.environ.get("BENNE_CONFIG")
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(
                f"BENNE_CONFIG names {env!r}, which is not a file",
                fix="point BENNE_CONFIG at a benne.toml or unset it",
            )
        return p
    p = (start or Path.cwd()) / CONFIG_NAME
    return p if p.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}", where=str(path), fix="fix the TOML syntax"
        ) from exc
    base = path.parent.resolve()
    for key in ("store", "model_dir", "scores", "report"):
        if key in data and isinstance(data[key], str) and not Path(data[key]).is_absolute():
            data[key] = str(base / data[key])
    if isinstance(data.get("database_url"), str) and data["database_url"].startswith("sqlite:///"):
        rest = data["database_url"][len("sqlite:///"):]
        if rest and not rest.startswith("/") and rest != ":memory:":
            data["database_url"] = "sqlite:///" + str(base / rest)
    data["config_path"] = str(path.resolve())
    return data


def load_settings(**overrides: Any) -> Settings:
    """Settings from overrides > environment > benne.toml > defaults.

    A bad value raises :class:`ConfigError` naming the setting and where it came from.
    """
    path = find_config()
    file_values = _read_toml(path) if path else {}
    env_keys = {
        name for name in Settings.model_fields if f"BENNE_{name.upper()}" in os.environ
    }
    init = {k: v for k, v in file_values.items() if k not in env_keys}
    init.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**init)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise ConfigError(
            f"setting {field} is invalid: {err['msg']}",
            where=str(path) if path else "environment",
            fix=f"set BENNE_{field.upper()} or {field} in benne.toml to a valid value",
        ) from None


def write_config(folder: Path, values: dict[str, Any]) -> Path:
    """Write ``benne.toml`` into ``folder`` with paths relative to it where possible."""
    lines = ["# written by benne; relative paths are relative to this file's folder"]
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, Path):
            try:
                value = value.resolve().relative_to(folder.resolve()).as_posix()
            except ValueError:
                value = value.as_posix()
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            lines.append(f"{key} = {value}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{key} = "{escaped}"')
    path = folder / CONFIG_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
