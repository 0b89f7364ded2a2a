"""Per-company OAuth 2 credentials: refresh tokens stored encrypted, access tokens renewed before they expire."""
