from ledgerflow.ingest.app import create_app
from ledgerflow.runtime.service import run

run(create_app())
