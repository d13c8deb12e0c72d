"""The loader's parts, one job each: errors (the refusals' words), decode (CP932 bytes to
lines, pure), records (CSV records checked against the header, pure), plain (a file of
plain records straight to COPY's text, a block at a time, pure), control
(``_CONTROL.csv`` and the totals that must equal it, pure), copy (COPY into PostgreSQL)
and duplicates (the key and period checks, in SQL). ``load.py`` runs them in one
transaction."""
