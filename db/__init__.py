"""Persistence: SQLAlchemy models, the store API, sessions and Alembic migrations.

``db`` imports nothing else of TenderWatch (docs/architecture.md#import-rules), so any part may use it.
"""
