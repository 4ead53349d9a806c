"""How many rows a page may hold: every list field of the schema asks here."""

from strawberry.types import Info

from ..graph.errors import Problem, ValidationError


def page_size(info: Info, first: int) -> int:
    """``first`` if it lies between 1 and the app's page size, else a validation error."""
    limit: int = info.context.max_page
    if not 0 < first <= limit:
        raise ValidationError(Problem("page", "first", first, f"1 to {limit}"))
    return first
