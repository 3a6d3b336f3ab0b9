"""The small contract both sides of the toolkit share.

- :mod:`core.aggregates`: the summary statistics of ratings, their one layout, and the bundle of
  an assessment the analysis reads;
- :mod:`core.textsafety`: untrusted text on its way into spreadsheets, CSV files and Markdown;
- :mod:`core.files`: files written whole or not at all;
- :mod:`core.formats`: stable JSON and spreadsheet-safe CSV text.

It imports nothing of the project.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "materiality-toolkit"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
