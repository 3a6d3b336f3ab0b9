"""The data side of the toolkit: every read and write of the database, and the files it takes in.

- :mod:`survey.models`: all tables; :mod:`survey.db`: engines, migrations, transactions;
- :mod:`survey.catalog`: the catalog rows (topics, groups, channels, focus areas, dimensions)
  and their files; :mod:`survey.campaign`: the same as the app's editable tables;
- :mod:`survey.assessments`: creating and finding assessments, the key -> id index;
- :mod:`survey.responses`: checking and recording responses, withdrawing them
  (:mod:`survey.inserts`: the fast way rows go in);
- :mod:`survey.summaries`: the summary tables the analysis reads instead of the ratings;
- :mod:`survey.reads`: an assessment as the analysis and the app read it;
  :mod:`survey.methods`: the analysis method chosen for it;
- survey links: :mod:`survey.tokens`, :mod:`survey.issuing`, :mod:`survey.responding`
  (answering through a link) and :mod:`survey.tracking`;
- :mod:`survey.importers` (exports of survey tools), :mod:`survey.backup` (an assessment as one
  file), :mod:`survey.integrity` (is the database sound), :mod:`survey.auth`, :mod:`survey.demo`;
- :mod:`survey.errors`: what the data side refuses.

It imports :mod:`core` and itself only, never the analysis or Streamlit.
"""
