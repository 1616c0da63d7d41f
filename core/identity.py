"""A person signed in at the identity provider: who they are here, from their token's claims.

The provider's ID token (web sign-in) or access token (API) is checked in
`search_service.oidc`; this module only reads its claims, by the settings of `OidcSettings`:

- the account name from `name_claim` (default `sub`);
- roles from `role_claim` (values that name a role: `reader`, `office`, `admin`) and from the
  groups in `groups_claim` listed in `group_roles`;
- rings from `ring_claim` (values that are ring ids) and from the groups listed in
  `group_rings`.

A person with no role here is refused: nothing in the provider says they belong to the programme.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.access import Principal, Role
from core.accounts import NAME_PATTERN
from core.errors import ForbiddenError, UnauthorizedError
from core.metadata import normalize_ring
from core.settings import OidcSettings

NAME_PATTERN_HINT = "1–64 letters, digits or . _ @ -"
NO_ROLE = "The identity provider gives this person no role in this service."


@dataclass(frozen=True)
class ExternalIdentity:
    """Who a provider's token says the caller is, mapped to this service's names."""

    name: str
    roles: tuple[Role, ...]
    rings: tuple[str, ...]

    def principal(self) -> Principal:
        """The caller of an API request with a provider's access token."""
        return Principal(self.name, "oidc", frozenset(self.roles), frozenset(self.rings))


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The texts at a dotted claim path (`realm_access.roles`); a single text counts as one."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _rings(values: list[str]) -> list[str]:
    rings = []
    for value in values:
        try:
            rings.append(normalize_ring(value))
        except ValueError:
            continue  # a shared claim may hold other values; only rings count
    return rings


def identity_from_claims(claims: Mapping[str, Any], settings: OidcSettings) -> ExternalIdentity:
    """Map verified claims to a name, roles and rings.

    Raises:
        UnauthorizedError: the name claim is missing or not a usable account name.
        ForbiddenError: the claims give no role here.
    """
    name = claims.get(settings.name_claim)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise UnauthorizedError(
            f"The token's claim {settings.name_claim!r} is missing or not an account name "
            f"({NAME_PATTERN_HINT})."
        )
    known_roles = {role.value: role for role in Role}
    groups = claim_values(claims, settings.groups_claim)
    role_values = [value.lower() for value in claim_values(claims, settings.role_claim)]
    roles = [known_roles[value] for value in role_values if value in known_roles]
    roles += [settings.group_roles[group] for group in groups if group in settings.group_roles]
    if not roles:
        raise ForbiddenError(NO_ROLE)
    rings = _rings(claim_values(claims, settings.ring_claim))
    rings += [settings.group_rings[group] for group in groups if group in settings.group_rings]
    return ExternalIdentity(name, tuple(dict.fromkeys(roles)), tuple(sorted(dict.fromkeys(rings))))
