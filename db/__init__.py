"""Persistence: SQLAlchemy models, the store API, sessions and Alembic migrations.

``db`` imports nothing else of TenderWatch (DESIGN.md), so any part may use it.
"""
