from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.numbering.rules import QBO_DOC_NUMBER_LIMIT


class NumberingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_NUMBERING_", extra="ignore")

    prefix: str = ""
    max_length: int = QBO_DOC_NUMBER_LIMIT
