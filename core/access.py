"""Who may see what: principals, their roles and rings, and the store conditions they imply.

Every chunk carries its visibility as a list of access tokens (`public`, `programme`, `office`,
`ring:vr3`, …; see `core.metadata.visibility_tokens`). A caller's access filter is one
condition "the chunk's visibility holds any of the caller's tokens", built here from the
principal alone and added to the store query of every read path:

| caller | tokens |
|---|---|
| anonymous | `public` |
| `reader` | `public`, `programme`, `ring:<r>` for each of their rings |
| `office`, `admin` | no condition: everything |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from core.filters import Condition, FieldMatch
from core.metadata import visibility_tokens

VISIBILITY_FIELD = "visibility"
# `oidc`: a person with an access token of the identity provider (`core.identity`).
PrincipalKind = Literal["anonymous", "account", "api_key", "oidc", "system"]


class Role(StrEnum):
    """Roles of an account or API key."""

    READER = "reader"
    OFFICE = "office"
    ADMIN = "admin"


UNRESTRICTED_ROLES = frozenset({Role.OFFICE, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """The caller of one request, resolved on the server (never taken from the request body)."""

    name: str
    kind: PrincipalKind
    roles: frozenset[Role] = field(default_factory=frozenset)
    rings: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        """May manage accounts and API keys."""
        return Role.ADMIN in self.roles


ANONYMOUS = Principal(name="anonymous", kind="anonymous")
# Trusted in-process callers (the CLI on the server, the evaluation): full access, like the office.
SYSTEM = Principal(name="system", kind="system", roles=frozenset({Role.OFFICE}))


def access_tokens(principal: Principal) -> frozenset[str] | None:
    """The visibility tokens the principal may see; None means everything."""
    if principal.roles & UNRESTRICTED_ROLES:
        return None
    tokens = {"public"}
    if Role.READER in principal.roles:
        tokens.add("programme")
        tokens.update(f"ring:{ring}" for ring in principal.rings)
    return frozenset(tokens)


def access_conditions(principal: Principal) -> list[Condition]:
    """Store conditions that restrict a query to what the principal may see."""
    tokens = access_tokens(principal)
    if tokens is None:
        return []
    return [FieldMatch(VISIBILITY_FIELD, tuple(sorted(tokens)))]


def may_see(principal: Principal, visibility: str) -> bool:
    """Whether a document of this (normalised) visibility is visible to the principal."""
    tokens = access_tokens(principal)
    return tokens is None or not tokens.isdisjoint(visibility_tokens(visibility))
