"""Numbering: gives every planned document its number in the books."""
