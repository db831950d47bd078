"""Print the README's settings table from the services' settings tables, or rewrite it.

    python scripts/settings_table.py            print the table
    python scripts/settings_table.py --write    replace the table in README.md
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

TABLES = (
    "services.cli.supervisor",
    "services.harvester.settings",
    "services.indexer.settings",
    "services.query.settings",
    "services.ingest.settings",
    "services.monitor.settings",
    "demo.server",
)


def rows() -> list[str]:
    seen: dict[str, str] = {}
    for module in TABLES:
        for s in importlib.import_module(module).SETTINGS:
            if s.name not in seen:
                default = f"`{s.default}`" if s.default else "(empty)"
                seen[s.name] = f"| `{s.name}` | {default} | {s.help.replace('|', '/')} |"
    return list(seen.values())


def table() -> str:
    return "| name | default | help |\n|---|---|---|\n" + "\n".join(rows()) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        text = README.read_text(encoding="utf-8")
        text = re.sub(r"(<!-- settings:start -->\n).*?(<!-- settings:end -->)",
                      lambda m: m.group(1) + table() + m.group(2), text, flags=re.S)
        README.write_text(text, encoding="utf-8")
    else:
        print(table(), end="")
