"""Sign-in sessions, security headers and account routes (filled in by the accounts work)."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
MIDDLEWARE: list[Middleware] = []
