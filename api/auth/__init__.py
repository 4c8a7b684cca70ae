"""Authentication (passwords, TOTP, JWT, API keys, throttling) and authorisation (roles)."""
