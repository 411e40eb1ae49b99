"""Commands of the service: serve, partners, people tokens, scores, audit, disputes.

Every change of a credential (a partner added, disabled, enabled, given a new key or deleted; a
person token issued or revoked) is appended to the audit log, and a running service honours it
within a second.
"""

from __future__ import annotations

from datetime import datetime
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
              help="DuckDB store whose published people snapshot the person routes show "
                   "(the service never opens the store itself).")
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


@partners.command("list")
@_DB
def partners_list(database_url: str | None) -> None:
    """List the partners with their status (active, disabled, deleted).

    \b
    Example:
      benne partners list
    """
    from benne import console
    from benne.service import list_partners

    rows = list_partners(_settings(database_url=database_url).database_url)
    console.emit({"partners": rows}, "\n".join(
        f"{r['partner_id']}  {r['status']:8}  {r['name']}" for r in rows) or "no partners")


def _partner_change(change: str, help_text: str):  # type: ignore[no-untyped-def]
    @partners.command(change, help=help_text)
    @click.argument("partner_id")
    @_DB
    def command(partner_id: str, database_url: str | None) -> None:
        from benne import console
        from benne.service import change_partner

        key = change_partner(_settings(database_url=database_url).database_url, partner_id,
                             change)
        if key is not None:
            console.emit({"partner_id": partner_id, "key": key},
                         f"partner id: {partner_id}\nnew API key: {key}\n"
                         "The old key is refused from now on. Store the new key now: only its "
                         "hash is kept.")
        else:
            console.emit({"partner_id": partner_id, "change": change},
                         f"partner {partner_id}: {change}d")

    return command


_partner_change("disable", "Refuse the partner's key until it is enabled again.\n\n"
                           "\b\nExample:\n  benne partners disable pt_1a2b3c4d5e6f7a8b")
_partner_change("enable", "Accept a disabled partner's key again.\n\n"
                          "\b\nExample:\n  benne partners enable pt_1a2b3c4d5e6f7a8b")
_partner_change("rotate-key", "Give the partner a new key (printed once); the old one stops "
                              "working.\n\n\b\nExample:\n"
                              "  benne partners rotate-key pt_1a2b3c4d5e6f7a8b")
_partner_change("delete", "Delete the partner: its key stops working and its consents are "
                          "revoked.\n\n\b\nExample:\n"
                          "  benne partners delete pt_1a2b3c4d5e6f7a8b")


def _expiry(value: str | None) -> datetime | None:
    """``30d``, ``12h``, ``90m`` from now, or an ISO date / date-time (UTC)."""
    import re
    from datetime import UTC, timedelta

    from benne.exceptions import InputError

    if value is None:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    match = re.fullmatch(r"(\d{1,5})([dhm])", value.strip())
    if match:
        n, unit = int(match.group(1)), match.group(2)
        unit_name = {"d": "days", "h": "hours", "m": "minutes"}[unit]
        return now + timedelta(**{unit_name: n})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--expires must be a duration like 30d, 12h or 90m, or a date; "
                         f"got {value!r}", where="--expires",
                         fix="e.g. --expires 30d or --expires 2026-12-31") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


@click.group("people")
def people() -> None:
    """The people scored: tokens for their page and API."""


@people.command("token")
@click.argument("person_id")
@click.option("--expires", metavar="WHEN",
              help="Expiry: a duration (30d, 12h, 90m) or a date/date-time in UTC; "
                   "no expiry when left out.")
@_DB
def people_token(person_id: str, expires: str | None, database_url: str | None) -> None:
    """Issue a bearer token for a person (for the demo and tests).

    \b
    Example:
      benne people token P000001 --expires 30d
    """
    from benne import console
    from benne.service import issue_person_token

    settings = _settings(database_url=database_url)
    when = _expiry(expires)
    token = issue_person_token(settings.database_url, person_id, expires_at=when)
    console.emit({"token": token, "token_id": token.split(".", 1)[0],
                  "expires_at": when.isoformat(timespec="seconds") if when else None}, token)


@people.command("revoke-token")
@click.argument("token_id", required=False)
@click.option("--person", "person_id", help="Revoke every token of this person instead.")
@_DB
def people_revoke_token(token_id: str | None, person_id: str | None,
                        database_url: str | None) -> None:
    """Revoke a person token (its id, the part before the dot) or all of a person's tokens.

    \b
    Example:
      benne people revoke-token tk_1a2b3c4d5e6f7a8b
      benne people revoke-token --person P000001
    """
    from benne import console
    from benne.service import revoke_person_tokens

    settings = _settings(database_url=database_url)
    n = revoke_person_tokens(settings.database_url, token_id=token_id, person_id=person_id)
    console.emit({"revoked": n}, f"{n} token(s) revoked")


@people.command("publish")
@click.option("--store", type=click.Path(path_type=Path, dir_okay=False),
              help="DuckDB store (default from settings).")
def people_publish(store: Path | None) -> None:
    """Publish the snapshot of each person's records that the service shows them.

    `benne ingest` publishes it after every load; run this after changing the store otherwise.

    \b
    Example:
      benne people publish
    """
    from benne import console
    from benne.store import publish_people

    path = publish_people(_settings(store=store).store)
    console.emit({"snapshot": str(path)}, f"published {path}")


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
              help="upheld holds the record out of scoring from the next batch run; rejected "
                   "leaves it in (other disputes on the record still count).")
@_DB
def disputes_resolve(dispute_id: str, status: str, database_url: str | None) -> None:
    """Close an open dispute.

    \b
    Example:
      benne disputes resolve dp_1a2b3c4d5e6f7a8b --status upheld
    """
    from benne import console
    from benne.service import resolve_dispute

    settings = _settings(database_url=database_url)
    result = resolve_dispute(settings.database_url, dispute_id, status)
    console.emit({"dispute_id": dispute_id, "status": result},
                 f"dispute {dispute_id} is {result}")


def register(app: click.Group) -> None:
    """Add the service's commands to the ``benne`` group."""
    for command in (serve_cmd, partners, people, scores_group, audit_group, disputes_group):
        app.add_command(command)
