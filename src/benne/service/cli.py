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
    """The audit log: a Merkle tree with signed checkpoints and proofs."""


def _open_log(database_url: str | None):  # type: ignore[no-untyped-def]
    from benne.service.db import make_engine, make_sessionmaker

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url)
    return settings, engine, make_sessionmaker(engine)


def _verifier(settings, key: str | None):  # type: ignore[no-untyped-def]
    """The verifier key given (a file holding it, or the key itself), else the log's own."""
    from benne.service import checkpoint

    if key is None:
        return checkpoint.load_key(checkpoint.key_path(settings)).verifier()
    path = Path(key)
    if path.is_file():
        return checkpoint.parse_verifier(path.read_text(encoding="utf-8"), where=str(path))
    return checkpoint.parse_verifier(key)


@audit_group.command("key")
@_DB
@click.option("--name", help="Name of a new log (default benne/audit/<8 hex digits>); "
                             "it heads every checkpoint.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the verifier (public) key to this file.")
def audit_key(database_url: str | None, name: str | None, out: Path | None) -> None:
    """Make the log's signing key if there is none yet, and print its public verifier key.

    The signing key is kept readable by its owner only (0600), beside a SQLite database or
    where the audit_key setting says. Hand the verifier key to partners and witnesses.

    \b
    Example:
      benne audit key --name example.org/benne-audit
      benne audit key --out audit-log.pub
    """
    from benne import console
    from benne.service import checkpoint

    settings = _settings(database_url=database_url)
    path = checkpoint.key_path(settings)
    key, made = checkpoint.load_or_create_key(path, name)
    verifier = key.verifier().to_text()
    if out is not None:
        out.write_text(verifier + "\n", encoding="utf-8")
    console.emit({"name": key.name, "verifier_key": verifier, "key_file": str(path),
                  "created": made},
                 ("made the signing key " if made else "signing key ") + f"{path}\n{verifier}")


@audit_group.command("checkpoint")
@_DB
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="File to write the signed checkpoint to.")
def audit_checkpoint(database_url: str | None, out: Path) -> int:
    """Verify the whole log, then sign a checkpoint of its size and root into a file.

    Publish the file or hand it to a witness (a partner): anyone holding it can later check,
    with `benne audit verify --against`, that the log still extends it. A log that fails
    verification is not signed (exit 1). The signing key is made on first use.

    \b
    Example:
      benne audit checkpoint --out checkpoints/2026-12-02.txt
    """
    from benne import console
    from benne.service import audit, checkpoint
    from benne.service.db import session_scope
    from benne.service.deps import utcnow

    settings, engine, sessions = _open_log(database_url)
    try:
        key, _ = checkpoint.load_or_create_key(checkpoint.key_path(settings))
        with session_scope(sessions) as session:
            report = audit.verify_log(session)
    finally:
        engine.dispose()
    if not report.ok:
        console.emit(report.to_dict(), f"NOT SIGNED: {report.reason}")
        return 1
    cp = checkpoint.Checkpoint(key.name, report.count, report.root or b"", utcnow())
    note = cp.sign(key)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(note, encoding="utf-8")
    console.emit({"origin": cp.origin, "size": cp.size, "root": cp.root.hex(),
                  "time": cp.time.isoformat(), "file": str(out)},
                 f"signed checkpoint of {cp.size} entries written to {out}")
    return 0


@audit_group.command("verify")
@_DB
@click.option("--against", "against", type=click.Path(path_type=Path, dir_okay=False,
                                                       exists=True),
              help="A checkpoint the log signed earlier: prove the log still extends it.")
@click.option("--key", metavar="FILE|KEY",
              help="The log's verifier key, to check the checkpoint's signature (default: "
                   "the log's own signing key).")
def audit_verify(database_url: str | None, against: Path | None, key: str | None) -> int:
    """Recompute the log's Merkle tree; with --against, prove it extends a signed checkpoint.

    Without --against, every leaf is recomputed from its entry, with every cached subtree
    hash and the head: this finds rows changed, removed or added by hand, but not a log
    rewritten consistently. With --against, the checkpoint's signature is checked first
    (exit 2 if it fails), then a consistency proof from the checkpoint's tree to today's:
    entries removed, changed, reordered or inserted before it, and entries added after it
    with earlier dates, are found. Exit 1 names what is broken.

    \b
    Example:
      benne audit verify
      benne audit verify --against checkpoints/2026-12-01.txt --key audit-log.pub
    """
    from benne import console
    from benne.service import audit, checkpoint
    from benne.service.db import session_scope

    settings, engine, sessions = _open_log(database_url)
    try:
        cp = None
        if against is not None:
            note = against.read_text(encoding="utf-8", errors="replace")
            cp = checkpoint.read_checkpoint(note, _verifier(settings, key), where=str(against))
        with session_scope(sessions) as session:
            if cp is None:
                report = audit.verify_log(session)
            else:
                report = audit.verify_against(session, cp.size, cp.root,
                                              cp.time.replace(tzinfo=None))
    finally:
        engine.dispose()
    summary = report.to_dict()
    if not report.ok:
        console.emit(summary, f"BROKEN: {report.reason}")
        return 1
    root = report.root.hex() if report.root else ""
    if cp is None:
        console.emit(summary, f"OK: {report.count} audit entries, every leaf and the root "
                              f"{root[:16]}... recomputed")
    else:
        summary["checkpoint"] = {"size": cp.size, "root": cp.root.hex(),
                                 "time": cp.time.isoformat()}
        console.emit(summary, f"OK: the log of {report.count} entries extends the checkpoint "
                              f"of {cp.size} entries signed {cp.time:%Y-%m-%d %H:%M:%S} UTC")
    return 0


@audit_group.command("witness")
@click.argument("url")
@click.option("--key", metavar="FILE|KEY", required=True,
              help="The log's verifier key, from a trusted copy (`benne audit key`).")
@click.option("--state", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="File holding the last checkpoint this witness accepted (made on first use).")
def audit_witness(url: str, key: str, state: Path) -> int:
    """Check a running service's audit log from outside, as a partner or regulator would.

    Fetches the service's signed checkpoint and checks its signature; from the second run on,
    fetches the consistency proof from the checkpoint kept in --state and checks that the log
    only grew. The new checkpoint replaces the old one only when every check passes. Run it
    on a schedule: a log that shrank or was rewritten exits 1.

    \b
    Example:
      benne audit witness http://127.0.0.1:8000 --key audit-log.pub --state acme-witness.txt
    """
    import httpx

    from benne import console
    from benne.service import checkpoint

    verifier = _verifier(None, key)
    with httpx.Client(timeout=30) as client:
        try:
            new, old = checkpoint.witness(client, url, verifier, state)
        except checkpoint.LogRewrittenError as exc:
            console.emit({"ok": False, "reason": str(exc)}, f"BROKEN: {exc}")
            return 1
    since = f"extends the {old.size} entries seen before" if old else "first checkpoint kept"
    console.emit({"ok": True, "size": new.size, "root": new.root.hex(),
                  "previous_size": old.size if old else None},
                 f"OK: the log of {new.size} entries, signed {new.time:%Y-%m-%d %H:%M:%S} UTC; "
                 f"{since}")
    return 0


@audit_group.command("proof")
@click.argument("seq", type=click.IntRange(1))
@click.option("--size", type=click.IntRange(1),
              help="Prove against the tree of this many entries (a checkpoint's size); "
                   "default: the whole log.")
@_DB
def audit_proof(seq: int, size: int | None, database_url: str | None) -> None:
    """Print the inclusion proof of entry SEQ as JSON (leaf, leaf hash, proof, root).

    \b
    Example:
      benne audit proof 42 --size 1000
    """
    import json

    from benne import console
    from benne.service import audit
    from benne.service.db import session_scope

    _, engine, sessions = _open_log(database_url)
    try:
        with session_scope(sessions) as session:
            if size is not None and size > audit.tree_head(session).size:
                from benne.exceptions import InputError

                raise InputError(f"the log holds fewer than {size} entries",
                                 fix="give a size no larger than the log")
            proof = audit.inclusion_proof(session, seq, size)
    finally:
        engine.dispose()
    console.emit(proof.to_dict(), json.dumps(proof.to_dict(), indent=2))


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
