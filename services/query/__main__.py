from services.query.service import run
from services.query.settings import SETTINGS
from shared.service import main

main("query", SETTINGS, run)
