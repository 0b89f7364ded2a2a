from ledgerflow.planner.app import create_service
from ledgerflow.runtime.service import run

run(create_service())
