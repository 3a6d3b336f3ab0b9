"""The HTTP face: plain Starlette routes and middleware served beside the Streamlit app.

Each module contributes its routes and middleware here; ``app.py`` hands them to ``st.App``.
Like ``app_pages`` and ``cli``, this package only calls :mod:`services`.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from web import accounts, rating, survey


def routes() -> list[BaseRoute]:
    """Every plain HTTP route of the server, in the order Starlette should match them."""
    return [*survey.ROUTES, *rating.ROUTES, *accounts.ROUTES]


def middleware() -> list[Middleware]:
    """Middleware wrapped around every response, the Streamlit app's included."""
    return [*accounts.MIDDLEWARE]
