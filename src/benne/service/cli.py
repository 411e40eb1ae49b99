"""Commands of the service: serve, partners, people tokens, scores, audit, disputes."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]

_DB = click.option("--db", "database_url", metavar="URL",
                   help="SQLAlchemy URL of the service database (default from settings).")


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    from benne.config import load_settings

    return load_settings(**overrides)


@click.command("serve")
@click.option("--host", help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@_DB
@click.option("--model", "model_dir", type=click.Path(path_type=Path),
              help="Model folder whose reasons.json gives the tips.")
@click.option("--scores", type=click.Path(path_type=Path, dir_okay=False),
              help="Scores Parquet file to load at start (idempotent).")
@click.option("--store", type=click.Path(path_type=Path, dir_okay=False),
              help="DuckDB store, for the person's data and disputes.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes, for PostgreSQL (one per core); each keeps its own "
                   "rate-limit budget. Keep 1 on SQLite: it has one writer, and workers "
                   "waiting on each other's lock poll for it in sleeps.")
def serve_cmd(host: str | None, port: int | None, database_url: str | None,
              model_dir: Path | None, scores: Path | None, store: Path | None,
              workers: int) -> None:
    """Run the API and the web pages until interrupted.

    \b
    Example:
      benne partners add "Acme Lending"
      benne people token P000001
      benne serve --port 8000 --db sqlite:///service.sqlite
      benne serve --workers 2
    """
    from benne import console
    from benne.service import serve

    settings = _settings(host=host, port=port, database_url=database_url, model_dir=model_dir,
                         scores=scores, store=store)
    serve(settings, log_level="INFO" if console.mode().debug else "WARNING", workers=workers)


@click.group("partners")
def partners() -> None:
    """Partners that read scores under consent."""


@partners.command("add")
@click.argument("name")
@_DB
def partners_add(name: str, database_url: str | None) -> None:
    """Create a partner and print its id and API key (shown only this once).

    \b
    Example:
      benne partners add "Acme Lending"
      benne --json partners add "Acme Lending"
    """
    from benne import console
    from benne.service import create_partner

    settings = _settings(database_url=database_url)
    partner_id, key = create_partner(settings.database_url, name)
    console.emit({"partner_id": partner_id, "name": name, "key": key},
                 f"partner id: {partner_id}\nAPI key:    {key}\n"
                 "Store the key now: only its hash is kept, it cannot be shown again.")


@click.group("people")
def people() -> None:
    """The people scored: tokens for their page and API."""


@people.command("token")
@click.argument("person_id")
@_DB
def people_token(person_id: str, database_url: str | None) -> None:
    """Issue a bearer token for a person (for the demo and tests).

    \b
    Example:
      benne people token P000001
    """
    from benne import console
    from benne.service import issue_person_token

    settings = _settings(database_url=database_url)
    token = issue_person_token(settings.database_url, person_id)
    console.emit({"token": token}, token)


@click.group("scores")
def scores_group() -> None:
    """Scores held by the service."""


@scores_group.command("load")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_DB
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Model folder whose reasons.json gives the tips.")
def scores_load(file: Path, database_url: str | None, model_dir: Path | None) -> None:
    """Load a scores Parquet file into the service database (idempotent).

    \b
    Example:
      benne scores load scores.parquet --model models/champion
    """
    from benne import console
    from benne.service import load_scores

    settings = _settings(database_url=database_url, model_dir=model_dir)
    added = load_scores(settings.database_url, file, model_dir=settings.model_dir)
    console.emit({"added": added, "file": str(file)}, f"{added} score rows added from {file.name}")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@_DB
def audit_verify(database_url: str | None) -> int:
    """Check the audit chain; exits 1 and names the first broken entry if a row was changed.

    \b
    Example:
      benne audit verify --db sqlite:///service.sqlite
    """
    from benne import console
    from benne.service import verify_audit

    settings = _settings(database_url=database_url)
    report = verify_audit(settings.database_url)
    if report.ok:
        console.emit(report.to_dict(), f"OK: {report.count} audit entries, chain intact")
        return 0
    console.emit(report.to_dict(),
                 f"BROKEN at entry {report.first_broken_seq}: {report.reason} "
                 f"({report.count} entries intact before it)")
    return 1


@click.group("disputes")
def disputes_group() -> None:
    """Disputes people filed against their records."""


@disputes_group.command("resolve")
@click.argument("dispute_id")
@click.option("--status", type=click.Choice(["upheld", "rejected"]), required=True,
              help="upheld keeps the record out of scoring; rejected puts it back.")
@_DB
@click.option("--store", type=click.Path(path_type=Path, dir_okay=False),
              help="DuckDB store holding excluded_records (default from settings).")
def disputes_resolve(dispute_id: str, status: str, database_url: str | None,
                     store: Path | None) -> None:
    """Close an open dispute.

    \b
    Example:
      benne disputes resolve dp_1a2b3c4d5e6f7a8b --status upheld
    """
    from benne import console
    from benne.service import resolve_dispute

    settings = _settings(database_url=database_url, store=store)
    result = resolve_dispute(settings.database_url, dispute_id, status, store=settings.store)
    console.emit({"dispute_id": dispute_id, "status": result},
                 f"dispute {dispute_id} is {result}")


def register(app: click.Group) -> None:
    """Add the service's commands to the ``benne`` group."""
    for command in (serve_cmd, partners, people, scores_group, audit_group, disputes_group):
        app.add_command(command)
