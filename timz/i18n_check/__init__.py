"""The guards of Timz's translations (issue 15): text a person reads that nobody marked for
translation, and catalogues that are not ready to ship.

- `timz.i18n_check.templates`: every unmarked user-facing string of the project's templates.
- `timz.i18n_check.catalogues`: the catalogues under ``locale/`` (complete, nothing fuzzy or
  obsolete, placeholders that fit, ``.mo`` compiled from the ``.po`` as it is, every string of
  the code present), and ``make messages`` itself (the options the check extracts with).

Both run in the suite (``timz/tests/test_translations.py``, so in CI) and from
``make i18n-check`` (``python -m timz.i18n_check [templates|catalogues]``), which lists every
problem as ``file:line`` for a developer to fix.
"""
