"""A QuickBooks Desktop company file held in memory: qbXML in, qbXML out, with Desktop's rules."""

from ledgerflow.qbd_sim.company.file import CompanyFile
from ledgerflow.qbd_sim.company.processor import Outcome
from ledgerflow.qbd_sim.company.settings import Edition, Switches

__all__ = ["CompanyFile", "Edition", "Outcome", "Switches"]
