from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """The sales channels whose orders ledgerflow reads."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    AMAZON = "amazon"
    SQUARE = "square"
    MAGENTO = "magento"
    STRIPE = "stripe"
    CUSTOM = "custom"
