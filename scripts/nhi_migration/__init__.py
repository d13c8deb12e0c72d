"""NHI delinquency data migration: the Python that moves bytes in and out of PostgreSQL.

SQL (the dbt project) does every transformation; these modules generate synthetic
extracts, load an extract, run dbt, validate with Great Expectations and export.
"""
