"""Every table, imported here so ``Base.metadata`` is complete for Alembic and the tests.

One module per area; each area's owner adds its import line below.
"""

from db.base import Base

__all__ = ["Base"]
