"""Print the README's settings table from the services' settings tables.

    python scripts/settings_table.py > /tmp/table.md
"""

from __future__ import annotations

import importlib

TABLES = (
    "shared.supervisor",
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


if __name__ == "__main__":
    print("| name | default | help |\n|---|---|---|")
    print("\n".join(rows()))
