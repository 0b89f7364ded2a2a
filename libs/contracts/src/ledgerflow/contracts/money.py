"""Money as ``Decimal`` scaled by its currency's own exponent, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# ISO 4217 minor units for the currencies that are not the common two-decimal case.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip


def _upper_currency(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"currency must be a three-letter ISO 4217 code, got {code!r}")
    return code


CurrencyCode = Annotated[str, AfterValidator(_upper_currency)]


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (USD 2, JPY 0, BHD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``."""
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return amount.quantize(step, rounding=ROUND_HALF_UP)


def from_minor_units(units: int, currency: str) -> Decimal:
    """Turn an integer count of minor units (Stripe, Square) into a scaled amount."""
    return quantize(Decimal(units).scaleb(-currency_exponent(currency)), currency)


class Money(BaseModel):
    """An amount and its currency; serialized with the amount as a decimal string."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal = Field(description="Amount in major units, scaled to the currency's exponent.")
    currency: CurrencyCode

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        code = _upper_currency(currency)
        return cls(amount=quantize(Decimal(amount), code), currency=code)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.of(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.of(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
