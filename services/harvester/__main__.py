from services.harvester.service import run
from services.harvester.settings import SETTINGS
from shared.service import main

main("harvester", SETTINGS, run)
