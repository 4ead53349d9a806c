"""``viewer``: who the caller is to the API, so a frontend shows only what the role may ask.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

from typing import Any

import strawberry
from strawberry.types import Info


@strawberry.type(description="The caller, as the API sees them.")
class Viewer:
    role: str = strawberry.field(description="department, researcher or public")


def viewer(info: Info) -> Viewer:
    return Viewer(role=str(info.context.role.value))


def viewer_fields() -> dict[str, Any]:
    return {"viewer": strawberry.field(resolver=viewer, description="The caller's role.")}
