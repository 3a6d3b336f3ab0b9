"""The stakeholder survey served as plain HTML (filled in by the survey-form work)."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
