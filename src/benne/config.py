"""Settings: one object from ``BENNE_*`` environment variables and an optional ``benne.toml``.

Precedence, highest first: explicit arguments, ``BENNE_*`` environment variables, the
``benne.toml`` found in the working directory (or named by ``BENNE_CONFIG``), the defaults.
Relative paths in a ``benne.toml`` are relative to the folder that holds it, so a work folder
written by ``benne demo`` can be used from anywhere.

Typos are errors, never silently defaults: an unknown key in ``benne.toml`` is a
:class:`~benne.exceptions.ConfigError` naming the key, the file and the closest valid key.
Environment variables are read by their exact upper-case names only (``BENNE_PORT`` for
``port``; other ``BENNE_*`` variables are not settings and are left alone), and a bad value
names its variable. One shape is recognised and ignored with a warning rather than misread: a
container platform's service link (``BENNE_PORT=tcp://10.0.0.1:8000``, which Kubernetes sets for
a service called ``benne``) is the address of *another* process, not a setting for this one.

Example ``benne.toml``::

    store = "benne.duckdb"
    database_url = "sqlite:///service.sqlite"
    model_dir = "models/champion"
    host = "127.0.0.1"
    port = 8000
    spark_master = "local[*]"     # or spark://host:7077, yarn, sc://host:15002 (Spark Connect)
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from benne.exceptions import ConfigError

__all__ = ["Settings", "env_name", "find_config", "load_settings", "write_config"]

CONFIG_NAME = "benne.toml"
_SPARK_MASTER = re.compile(r"^(local(\[(\*|[1-9]\d*)(,\d+)?\])?|yarn|spark://\S+|k8s://\S+"
                           r"|mesos://\S+|sc://\S+)$")


class Settings(BaseSettings):
    """Everything benne needs to know about where things live."""

    # Values come only through load_settings (file, environment, arguments), never read by
    # pydantic-settings itself, so every source is checked for typos the same way.
    model_config = SettingsConfigDict(extra="forbid")

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
    audit_key: Path | None = Field(
        None, description="The audit log's signing key file (default: beside a SQLite database, "
                          "<name>.audit-key; else benne-audit.key).")
    person_rate_limit_per_minute: int = Field(
        300, ge=1, description="Requests per minute of one person token.")
    address_rate_limit_per_minute: int = Field(
        12000, ge=1, description="Requests per minute from one client address, on every route.")
    dispute_days: int = Field(
        30, ge=1, le=365, description="Days to verify a disputed record before it is removed.")
    config_path: Path | None = Field(None, description="The benne.toml these came from.")
    bureau_name: str = Field("benne credit bureau",
                             description="The bureau's name on adverse-action notices.")
    bureau_contact: str = Field("Write to the bureau's data protection office, or dispute "
                                "online on your benne page.",
                                description="How a person reaches the bureau (notices).")
    dispute_answer_days: int = Field(30, ge=1, le=365,
                                     description="Days within which the bureau answers a "
                                                 "dispute (stated on notices).")

    spark_master: str = Field(
        "local[*]", description="Where Spark runs: local[*] (default), local[N], spark://host:"
                               "port, yarn, k8s://..., or a Spark Connect URL sc://host:port.")
    lake: Path | None = Field(None, description="Folder of <table>.parquet files the Spark "
                                                "engine reads (default: the store, exported).")

    @field_validator("spark_master")
    @classmethod
    def _master(cls, v: str) -> str:
        if not _SPARK_MASTER.match(v):
            raise ValueError("spark_master must be local, local[N], local[*], spark://host:port, "
                             f"yarn, k8s://... or a Spark Connect URL sc://host:port; got {v!r}")
        return v

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
        return (init_settings,)


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
    for key in ("store", "model_dir", "scores", "report", "audit_key"):
        if key in data and isinstance(data[key], str) and not Path(data[key]).is_absolute():
            data[key] = str(base / data[key])
    if isinstance(data.get("database_url"), str) and data["database_url"].startswith("sqlite:///"):
        rest = data["database_url"][len("sqlite:///"):]
        if rest and not rest.startswith("/") and rest != ":memory:":
            data["database_url"] = "sqlite:///" + str(base / rest)
    data["config_path"] = str(path.resolve())
    return data


# A service link a container platform injects for a service of the same name ("benne"):
# BENNE_PORT=tcp://10.0.0.1:8000, BENNE_PORT_8000_TCP=... (only exact field names are read).
_SERVICE_LINK = re.compile(r"^(tcp|udp|sctp)://[^\s/]+:\d+$")


def env_name(field: str) -> str:
    """The environment variable of a setting: ``port`` -> ``BENNE_PORT``."""
    return f"BENNE_{field.upper()}"


def _from_environment() -> dict[str, str]:
    values: dict[str, str] = {}
    for name in Settings.model_fields:
        if name == "config_path":
            continue
        var = env_name(name)
        if var not in os.environ:
            continue
        value = os.environ[var]
        if _SERVICE_LINK.match(value.strip()):
            sys.stderr.write(
                f"warning: {var}={value} looks like a container platform's service link, not a "
                f"benne setting; ignored (set {name} in benne.toml or on the command line)\n")
            continue
        values[name] = value
    return values


def _check_keys(values: dict[str, Any], path: Path) -> None:
    valid = [n for n in Settings.model_fields if n != "config_path"]
    for key in values:
        if key in valid:
            continue
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(valid)}"
        raise ConfigError(f"unknown setting {key!r}", where=str(path),
                          fix=f"{hint} (remove or rename the key)")


def load_settings(**overrides: Any) -> Settings:
    """Settings from overrides > environment > benne.toml > defaults.

    A bad value raises :class:`ConfigError` naming the setting and where it came from: the
    argument, the ``BENNE_*`` variable, or the key of ``benne.toml``.
    """
    path = find_config()
    file_values = _read_toml(path) if path else {}
    if path:
        _check_keys({k: v for k, v in file_values.items() if k != "config_path"}, path)
    env_values = _from_environment()
    given = {k: v for k, v in overrides.items() if v is not None}
    merged = {**file_values, **env_values, **given}
    try:
        return Settings(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "settings"
        msg = err["msg"]
        if field in given:
            where, fix = "argument", f"pass a valid {field}"
        elif field in env_values:
            where = f"environment variable {env_name(field)}={env_values[field]!r}"
            fix = f"set {env_name(field)} to a valid value or unset it"
        elif path is not None and field in file_values:
            where, fix = f"{path}, key {field!r}", f"set {field} in {path.name} to a valid value"
        else:
            where, fix = "settings", f"set {field} to a valid value"
        raise ConfigError(f"setting {field} is invalid: {msg}", where=where, fix=fix) from None


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
