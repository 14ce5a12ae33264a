"""Persistence: SQLAlchemy models, store functions, engine set-up and Alembic migrations."""
