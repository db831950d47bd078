from services.monitor.service import run
from services.monitor.settings import SETTINGS
from shared.service import main

main("monitor", SETTINGS, run)
