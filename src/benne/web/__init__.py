"""Templates and static assets of the person's page and the partner's view.

Plain HTML rendered by Jinja2, one script and one stylesheet served by the app itself: no CDN,
no build step. The pages call the same JSON API as any client.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR", "TEMPLATES_DIR"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
