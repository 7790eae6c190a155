"""Stand-ins for dbt's `dbt.*` cross-database macros and `adapter.dispatch`, so SQLFluff's jinja
templater can render the models without dbt or a database (see `.sqlfluff`). They render what
dbt-duckdb renders, closely enough to lint; dbt itself never reads this folder."""
