from ledgerflow.numbering.app import create_app
from ledgerflow.runtime.service import run

run(create_app())
