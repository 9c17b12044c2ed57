"""The list of every check, as the Markdown table docs/QUALITY.md shows, made from the check declarations
themselves (tests/test_quality_sources.py fails when the document is stale).

    .venv/bin/python -m quality.catalog --write    # rewrite the table in docs/QUALITY.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

from connectors.registry import sources
from quality.checks import Check

DOC = Path(__file__).resolve().parent.parent / "docs" / "QUALITY.md"
START, END = "<!-- checks:start -->", "<!-- checks:end -->"
# Stands for the run's clock in the declarations, so the table does not change from day to day.
RUN_TIME = dt.datetime(9999, 12, 31)


def every_suite():
    """The suites of every source as if every stream it can read were landed."""
    return [
        suite
        for declaration in sources()
        if declaration.quality
        for suite in declaration.quality_suites()(RUN_TIME, {spec.name for spec in declaration.streams})
    ]


def describe(check: Check) -> str:
    """What a check expects, in a few words."""
    kwargs, kind = check.kwargs, check.expectation
    if kind == "ExpectColumnValuesToBeBetween":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if high == RUN_TIME:
            text = f"between {low:%Y-%m-%d} and the run's time + 1 day"
        elif high is not None:
            text = f"between {low} and {high:,}".replace(",", " ")
        else:
            text = f"≥ {low}"
    elif kind == "ExpectColumnValuesToBeInSet" and kwargs["value_set"] == [True]:
        text = "true"
    elif kind == "ExpectColumnValuesToBeInSet":
        text = "in " + ", ".join(f"`{value}`" for value in kwargs["value_set"])
    elif kind == "ExpectColumnPairValuesAToBeGreaterThanB":
        text = f"`{kwargs['column_B']}` ≤ `{kwargs['column_A']}` (where both are present)"
    else:
        words = {
            "ExpectColumnValuesToNotBeNull": "present",
            "ExpectColumnValuesToBeNull": "null (shows the value)",
        }
        text = words.get(kind, "unique" if kind == "ExpectColumnValuesToBeUnique" else kind)
    if "mostly" in kwargs:
        text += f" (for {kwargs['mostly']:.0%} of rows)"
    return text


def table() -> str:
    lines = ["| suite | key | column | expects | severity | why |", "|---|---|---|---|---|---|"]
    for suite in every_suite():
        for check in suite.checks:
            lines.append(
                f"| {suite.suite} | {suite.key} | `{check.column}` | {describe(check)} | {check.severity} "
                f"| {check.why} |"
            )
    return "\n".join(lines)


def documented_table(doc: str) -> str:
    match = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), doc, re.S)
    return match.group(1) if match else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC}")
    args = parser.parse_args()
    if not args.write:
        print(table())
        return
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC} has no {START} … {END} block to rewrite")
    before, rest = doc.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(f"{before}{START}\n{table()}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
