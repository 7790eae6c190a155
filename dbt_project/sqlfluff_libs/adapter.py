"""`adapter.dispatch(name, namespace)`: the project's `default__<name>` macro, as dbt picks it on
DuckDB."""

from typing import Any

import jinja2


@jinja2.pass_context
def dispatch(context: jinja2.runtime.Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    return context[f"default__{macro_name}"]
