"""`dbt.<macro>(...)` as dbt-duckdb renders it."""


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def type_string() -> str:
    return "text"


def length(expression: str) -> str:
    return f"length({expression})"


def right(string_text: str, length_expression: str) -> str:
    return f"right({string_text}, {length_expression})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"


def dateadd(datepart: str, interval: int | str, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"
