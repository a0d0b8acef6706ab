"""Who may do what: accounts, sessions, API keys, scopes, rate limits. No web framework here."""
