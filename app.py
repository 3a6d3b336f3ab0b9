"""The one server: Streamlit's committee app plus the plain HTTP routes of :mod:`web`.

``streamlit run app.py`` (and ``python3 dev.py app``) serves this ASGI application; so does
``uvicorn app:app`` behind a process manager. The Streamlit pages live in ``navigation.py``.
"""

import streamlit as st

from web import middleware, routes

app = st.App("navigation.py", routes=routes(), middleware=middleware())
