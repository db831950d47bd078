from services.ingest.service import run
from services.ingest.settings import SETTINGS
from shared.service import main

main("ingest", SETTINGS, run)
