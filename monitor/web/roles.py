"""Who may see the admin pages (issue #15), and the audit row every admin change writes.

Three roles, all from the config, none stored: an **admin** is an address in service.yaml's
``admins:``; a **branch contact** is an address in a branch's ``contacts:`` (branches.yaml);
anyone else signed in is a **subscriber**. The config is read per request, so an admin removed
from service.yaml loses the pages with the next request, without signing out. The identity is
the email-link sign-in's session (``monitor.web.context.current_user``): there is no other
password or login for the admin pages. The FastAPI dependencies that enforce the roles are in
``monitor.web.guards``.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import AppConfig


@dataclass(frozen=True)
class Identity:
    """The signed-in person and what the config lets them see."""

    email: str
    admin: bool
    branches: frozenset[str]
    """The branches whose contact they are (empty for most)."""

    @property
    def staff(self) -> bool:
        """Sees some admin page: the header then shows the link to them."""
        return self.admin or bool(self.branches)

    def may_see_branch(self, branch_id: str) -> bool:
        return self.admin or branch_id in self.branches


def identity_for(config: AppConfig, email: str) -> Identity:
    """The roles of ``email`` in ``config`` (addresses compared in lower case: sign-in lowers them)."""
    address = email.strip().lower()
    admin = address in {a.lower() for a in config.service.admins}
    branches = frozenset(b.id for b in config.branches.branches if address in b.contacts)
    return Identity(address, admin, branches)
