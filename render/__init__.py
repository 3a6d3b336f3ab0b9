"""Results turned into pictures and bytes: the charts, the HTML report, the workbook, the
methodology disclosure and the report pack that holds them.

- :mod:`render.matrix`, :mod:`render.channel_map`, :mod:`render.heatmap`, :mod:`render.whatif`:
  Altair (Vega-Lite) charts, pure functions of an analysis result;
- :mod:`render.style`, :mod:`render.labels`, :mod:`render.numbers`: what the charts and documents
  share: colours and fonts, text measurement and label placement, number formats;
- :mod:`render.disclosure`, :mod:`render.report`, :mod:`render.workbook`, :mod:`render.tables`:
  the methodology text, the HTML report (Jinja2 templates in ``render/templates``), the Excel
  workbook and the tables the app shows;
- :mod:`render.pack`: every file of the report pack as bytes, by name. Writing them is the caller's.

Nothing here computes a result: the numbers come from :mod:`analysis`.
"""
