from services.indexer.service import run
from services.indexer.settings import SETTINGS
from shared.service import main

main("indexer", SETTINGS, run)
