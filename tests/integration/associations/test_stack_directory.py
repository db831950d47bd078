"""The directory on the whole stack (``maillage run --demo``, every service its own
process): the RNA file imported from another terminal reaches the directory through the
indexer, dissolved associations marked, only Rennes Métropole's; the demo associations,
whose events are in the agenda, have upcoming events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.natsserver import free_port
from shared.reference import reference_dir
from tests.integration.faults.procs import wait_until_sync
from tests.integration.test_run import get_json, run_env, stop_cleanly

#: The official reference data (communes of the Métropole for the import's scope, polygons for the
#: geocoder) cannot be committed; where it is absent these tests say so (reference fetch).
NEEDS_REFERENCE = pytest.mark.skipif(
    not (reference_dir(os.environ) / "rennes_metropole_communes.csv").is_file(),
    reason=f"reference data not found at {reference_dir(os.environ)} (set MAILLAGE_REFERENCE_DIR)")
pytestmark = [pytest.mark.integration, NEEDS_REFERENCE]
REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "associations"


def test_an_rna_import_reaches_the_directory_of_the_running_stack(tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port()
    env = run_env(data, port)
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1/associations"
    try:
        wait_until_sync(lambda: get_json(f"{base}?limit=50")["total"] >= 5, 90,
                        "the demo associations in the directory", every=0.5)
        wait_until_sync(lambda: get_json(f"{base}?has_events=true")["total"] >= 1, 60,
                        "an association with upcoming events", every=0.5)
        imported = subprocess.run(
            [sys.executable, "-m", "services.cli", "associations", "import-rna",
             str(FIXTURES / "rna_waldec_latin1.csv")],
            cwd=tmp_path, env={"MAILLAGE_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0, imported.stderr
        assert "4 added" in imported.stdout
        wait_until_sync(lambda: get_json(f"{base}?q=boulistes")["total"] == 1, 60,
                        "the imported associations in the directory", every=0.5)
        boules = get_json(f"{base}?q=boulistes")["items"][0]
        assert boules["state"] == "dissolved" and boules["commune"] == "Bruz"
        assert get_json(f"{base}?q=saint%20malo")["total"] == 0  # outside the Métropole
        velo = get_json(f"{base}?q=alli%C3%A9s&theme=sport")["items"][0]
        assert velo["quartier"] and velo["themes_from"] == "rna"
        one = get_json(f"{base}/{velo['id']}")["item"]
        assert one["rna"] == "W353000101" and one["quartier"] == velo["quartier"]
    finally:
        stop_cleanly(proc, data)
