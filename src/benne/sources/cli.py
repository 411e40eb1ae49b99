"""``benne sources``: list the source schemas or print one as JSON Schema."""

from __future__ import annotations

import json

import click

from benne import console


@click.command("sources")
@click.argument("name", required=False)
@click.option("--json-schema", "as_json_schema", is_flag=True, help="Print JSON Schema.")
def sources(name: str | None, as_json_schema: bool) -> None:
    """List the nine source schemas, or describe one.

    \b
    Example:
      benne sources
      benne sources bills --json-schema
    """
    from benne.sources import SOURCES, get_source, json_schema

    if name is None:
        if as_json_schema:
            click.echo(json.dumps({n: json_schema(s) for n, s in SOURCES.items()}, indent=2))
            return
        rows = {n: {"description": s.description, "key": list(s.key), "fields": s.field_names}
                for n, s in SOURCES.items()}
        lines = [f"{n:<15} {s.description} (key: {', '.join(s.key)})" for n, s in SOURCES.items()]
        console.emit(rows, "\n".join(lines))
        return
    src = get_source(name)
    if as_json_schema:
        click.echo(json.dumps(json_schema(src), indent=2))
        return
    lines = [f"{src.name}: {src.description}", f"key: {', '.join(src.key)}",
             f"event time: {src.event_time}"]
    for f in src.fields:
        extra = []
        if not f.required:
            extra.append("optional")
        if f.enum:
            extra.append("one of " + "|".join(f.enum))
        if f.minimum is not None:
            extra.append(f">= {f.minimum:g}")
        if f.maximum is not None:
            extra.append(f"<= {f.maximum:g}")
        if f.references:
            extra.append(f"references {f.references}")
        if f.protected:
            extra.append("protected")
        lines.append(f"  {f.name:<20} {f.type:<10} {f.description}"
                     + (f" ({'; '.join(extra)})" if extra else ""))
    console.emit(json_schema(src), "\n".join(lines))


def register(app: click.Group) -> None:
    app.add_command(sources)
