"""The one server: Streamlit's committee app plus the plain HTTP routes of :mod:`web`.

``streamlit run app.py`` (and ``python3 dev.py app``) serves this ASGI application; so does
``uvicorn app:app`` behind a process manager. The Streamlit pages live in ``navigation.py``.
When it starts, the server makes the first admin account if there is none (see
:func:`web.accounts.lifespan`).
"""

import streamlit as st

from app_pages.access import plain_error
from web import accounts, middleware, routes

app = st.App(
    "navigation.py",
    routes=routes(),
    middleware=middleware(),
    lifespan=accounts.lifespan,
    on_script_error=plain_error,
)
