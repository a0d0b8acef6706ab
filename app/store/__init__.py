"""Persistence: the library as versioned rows, SQLite by default, PostgreSQL by URL."""
