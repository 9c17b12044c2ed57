"""`.env.example`, made from the settings declarations: the run-wide settings (flows/settings.py) and each
registered source's section (connectors/<source>/declaration.py), with their descriptions and defaults.
A new source's settings appear here without editing this file; tests/test_settings.py fails when the file
is stale.

    .venv/bin/python -m flows.env_example --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import textwrap
from pathlib import Path

from connectors.registry import sources
from connectors.settings import SourceSettings
from flows.settings import REPO_ROOT, Settings

FILE = REPO_ROOT / ".env.example"
HEADER = """\
# salespipe settings. Copy to .env (never commit it) or set them in the environment of the worker.
# Made by `python -m flows.env_example --write` from the declarations: run-wide settings in
# flows/settings.py, each source's in connectors/<source>/declaration.py. Nothing is configured in code.
"""
TRAILER = """\
# --- Prefect -------------------------------------------------------------------------------------------
# Without PREFECT_API_URL the flow starts a temporary local server (~8 s). For the deployment set it.
# PREFECT_API_URL=http://127.0.0.1:4200/api
# Used by prefect.yaml's pull step: where the worker finds this repository.
SALESPIPE_REPO_DIR=
"""


def comment(text: str) -> list[str]:
    return textwrap.wrap(text, 106, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | Path):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def heading(title: str) -> str:
    return f"# --- {title} ".ljust(106, "-")


def run_wide_lines() -> list[str]:
    lines = [heading("the run (all sources)")]
    for name, field in Settings.model_fields.items():
        if name == "sources":
            continue
        lines += comment(field.description or "")
        lines.append(f"SALESPIPE_{name.upper()}={value_text(field.default)}")
    return lines


def section_lines(label: str, section: type[SourceSettings]) -> list[str]:
    lines = [heading((section.__doc__ or label).strip())]
    for name, field in section.model_fields.items():
        lines += comment(field.description or "")
        default = None if field.is_required() else field.default
        lines.append(f"{section.prefix()}{name.upper()}={value_text(default)}")
    for secret, description in section.secret_names.items():
        lines += comment(f"{description} Or name a Prefect Secret block in {section.prefix()}{secret}_BLOCK.")
        lines += [f"{section.prefix()}{secret}=", f"{section.prefix()}{secret}_BLOCK="]
    return lines


def render() -> str:
    blocks = [HEADER.rstrip("\n"), "\n".join(run_wide_lines())]
    blocks += ["\n".join(section_lines(d.label, d.settings)) for d in sources()]
    blocks.append(TRAILER.rstrip("\n"))
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {FILE.name} (else print it)")
    if parser.parse_args().write:
        FILE.write_text(render())
    else:
        print(render(), end="")


if __name__ == "__main__":
    main()
