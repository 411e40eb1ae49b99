"""The web pages: the person's page at ``/``, the partner's view at ``/partner``, the report.

The pages are static shells; ``app.js`` signs in with the token the person pastes (kept in
``sessionStorage`` only) and calls the JSON API. A strict Content-Security-Policy allows only
the app's own script and stylesheet, so nothing loads from elsewhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from benne import __version__
from benne.dimensions import DIMENSION_DATA_HINTS, DIMENSION_LABELS
from benne.exceptions import NotFoundError
from benne.models.settings import BANDS, Scale
from benne.service.deps import SettingsDep
from benne.web import TEMPLATES_DIR

__all__ = ["CSP", "router"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

router = APIRouter(include_in_schema=False)
_templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _page(request: Request, name: str, title: str) -> HTMLResponse:
    response = _templates.TemplateResponse(
        request, name, {"title": title, "version": __version__, "dimensions": DIMENSION_LABELS,
                        "hints": DIMENSION_DATA_HINTS, "bands": BANDS, "scale": Scale()}
    )
    response.headers["Content-Security-Policy"] = CSP
    return response


@router.get("/", response_class=HTMLResponse)
def person_page(request: Request) -> HTMLResponse:
    return _page(request, "me.html", "Your benne score")


@router.get("/me", response_class=HTMLResponse)
def person_page_alias(request: Request) -> HTMLResponse:
    return _page(request, "me.html", "Your benne score")


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request) -> HTMLResponse:
    return _page(request, "notices.html", "Notices sent about you")


@router.get("/partner", response_class=HTMLResponse)
def partner_page(request: Request) -> HTMLResponse:
    return _page(request, "partner.html", "Partner view")


@router.get("/report")
def report(settings: SettingsDep) -> FileResponse:
    if settings.report is None or not settings.report.is_file():
        raise NotFoundError("no report has been published", fix="run `benne report` first")
    return FileResponse(settings.report, media_type="text/html")
