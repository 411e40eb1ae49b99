"""``benne demo``: the whole bureau on a simulated population, then the page and the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from benne import console


@click.command("demo")
@click.option("--people", default=20_000, show_default=True, type=click.IntRange(min=200),
              help="People to simulate.")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option("--workdir", default="demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Work folder.")
@click.option("--start", default="2023-10-01", show_default=True,
              type=click.DateTime(["%Y-%m-%d"]), help="First day of simulated data.")
@click.option("--months", default=27, show_default=True, type=click.IntRange(min=27, max=60),
              help="Months of simulated data.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the page and API when done.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Host to serve on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to serve on.")
def demo(people: int, seed: int, workdir: Path, start: dt.datetime, months: int, serve: bool,
         host: str, port: int) -> None:
    """Run every stage on a simulated population, then serve the page and the API.

    Simulate, ingest, build point-in-time features, train the scorecard and the challenger,
    score everyone, write the report, set up the service with a demo partner and a demo
    person, and serve http://HOST:PORT. The work folder gets a benne.toml, so `benne serve`,
    `benne report` and the rest run there use the demo's store, model and database.

    \b
    Example:
      benne demo --people 20000 --workdir demo
      benne demo --no-serve --json --workdir /tmp/benne-demo
    """
    from benne.demo import DEMO_PURPOSE, run_demo

    result = run_demo(workdir, people=people, seed=seed, start=start.date(), months=months,
                      host=host, port=port)
    base = result.url
    lines = [
        "",
        f"benne demo ready in {sum(result.stages.values()):.0f} s — work folder {result.workdir}",
        f"  person's page : {base}/        (sign in with the token below)",
        f"  partner view  : {base}/partner",
        f"  API docs      : {base}/docs",
        f"  report        : {result.paths['report']}  (also {base}/report)",
        f"  demo person   : {result.person_id}   token: {result.person_token}",
        f"  demo partner  : {result.partner_id}   key: {result.partner_key}",
        f"  try           : curl -H 'X-API-Key: {result.partner_key}' "
        f"'{base}/v1/scores/{result.person_id}?purpose={DEMO_PURPOSE}'",
    ]
    if not serve:
        lines[1] = lines[1].replace("ready", "written")
    console.emit(result.to_dict(), "\n".join(lines))
    if serve:
        from benne.config import load_settings
        from benne.service import serve as serve_app

        settings = load_settings(
            store=result.paths["store"], database_url=f"sqlite:///{result.paths['service_db']}",
            model_dir=result.paths["model"], scores=result.paths["scores"],
            report=result.paths["report"], host=host, port=port,
        )
        serve_app(settings)


def register(app: click.Group) -> None:
    app.add_command(demo)
