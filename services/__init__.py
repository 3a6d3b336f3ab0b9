"""What a face needs, in one call: the layer between the faces (the Streamlit app, the
``materiality`` command) and the data side and the analysis.

Each service opens its own transaction on the engine it is given, calls :mod:`survey` and
:mod:`analysis`, and returns plain objects (dataclasses, frames, the analysis result); a read
that feeds a cache returns the data version it was read at. The app caches these calls on
those versions; the command line calls them directly. No face opens a transaction or calls
the store itself, so every rule enforced here (or below) holds for both faces.

Services never import Streamlit or Typer. Services that change data take keyword-only
arguments. What touches no database a face takes from where it lives: the error types
(:mod:`survey.errors`), the readers of catalog and export files, the survey's wording
(:mod:`survey.i18n`), the charts and the report pack (:mod:`render`).

- :mod:`services.results`: everything to analyse an assessment, and the cache versions.
- :mod:`services.assessments`: listing and creating assessments, the demo.
- :mod:`services.fieldwork`: opening and closing the survey, links, tracking, withdrawal.
- :mod:`services.methods`: saving a method (with its reason) and the method log.
- :mod:`services.data`: imports of survey-tool exports, assessment files, the integrity check.
- :mod:`services.responding`: the stakeholder's survey page.
- :mod:`services.accounts`: accounts, signing in and out, sessions, the first admin.
- :mod:`services.access`: the roles and their rights.
- :mod:`services.audit`: the audit trail: who acts, listing, export, the chain's check.
"""
