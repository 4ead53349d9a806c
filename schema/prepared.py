"""Query texts seen before, run without Strawberry's per-request stages.

Strawberry takes every request through its extensions' stages (operation, parsing, validation,
execution), each a context manager calling every extension's hook in turn: about a third of the
CPU of a lookup on the embedded store (``bench/README.md``). For a query text that passed
validation once, those stages decide nothing new: the document comes from the parse cache, its
validation from :class:`~.build.DocumentValidationCache`, the one-operation check from the
document and whether ``operationName`` was given. What still depends on the request is its
variables (:func:`~.bounded_input.variables_refusal`) and the errors its execution returns, which
:class:`~.build.ErrorCodes` and :class:`~.build.MaskWithErrorId` act on when the operation ends.

So :class:`LearnPrepared` (the last validation hook) keeps a query document that validated with
no error, by its text and the ``operationName`` sent, and :func:`run_prepared` answers the next
request for it: variables within the caps (else the normal way, which refuses them alike),
graphql-core's execution called as Strawberry calls it (:func:`~.internals.run_operation`), and,
when the result has errors, the extensions' operation stage run around it so the same hooks mask
and code them. Mutations, requests with operation extensions and anything not kept go the
normal way. ``tests/schema/test_prepared.py`` sends requests both ways and compares the answers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from .bounded_input import variables_refusal
from .internals import coerce_error, graphql_schema, provided_operation_name, run_operation

_QUERY = OperationType.QUERY


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated query document and the operation to run (its name as Strawberry resolves it:
    the document's one operation when the request named none)."""

    document: DocumentNode
    operation_name: str | None


class PreparedQueries:
    """Validated query documents by query text and the ``operationName`` sent; the least
    recently used goes first once ``size`` are kept (the parse cache's bound)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()

    def get(self, query: object, operation_name: object) -> Prepared | None:
        # what the router's HTTP checks let through may be anything: only texts are kept
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        key = (query, operation_name)
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def for_request(  # noqa: PLR0917  # the request's parts Strawberry's execute takes
        self,
        schema: strawberry.Schema,
        query: str | None,
        variable_values: dict[str, Any] | None,
        operation_name: str | None,
        allowed_operation_types: Iterable[OperationType] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> Prepared | None:
        """The kept document for this request, if the prepared way may answer it: a query is
        allowed (None: Strawberry's default), no operation extensions, the variables within
        the caps (a refusal: the normal way says so)."""
        if operation_extensions is not None:
            return None
        if allowed_operation_types is not None and _QUERY not in allowed_operation_types:
            return None
        prepared = self.get(query, operation_name)
        if prepared is None:
            return None
        refusal = variables_refusal(
            graphql_schema(schema), prepared.document, prepared.operation_name, variable_values
        )
        return prepared if refusal is None else None

    def put(self, query: str, operation_name: str | None, prepared: Prepared) -> None:
        self._kept[(query, operation_name)] = prepared
        self._kept.move_to_end((query, operation_name))
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


class LearnPrepared(SchemaExtension):
    """Keep a query document that passed every validation hook before this one (module doc)."""

    def __init__(self, kept: PreparedQueries) -> None:
        super().__init__()
        self._kept = kept

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if (
            not context.pre_execution_errors
            and document is not None
            and context.query is not None
            and context.operation_extensions is None
            and context.operation_type is _QUERY
        ):
            prepared = Prepared(document, context.operation_name)
            self._kept.put(context.query, provided_operation_name(context), prepared)
        yield


async def run_prepared(
    schema: strawberry.Schema,
    prepared: Prepared,
    *,
    query: str | None,
    variable_values: dict[str, Any] | None,
    context_value: Any,
    root_value: Any,
    operation_name: str | None,
    allowed_operation_types: Iterable[OperationType] | None,
) -> ExecutionResult:
    """Answer a request for a kept document as ``Schema.execute`` would (module doc)."""
    try:
        result = run_operation(
            schema,
            prepared.document,
            root_value=root_value,
            context_value=context_value,
            variable_values=variable_values,
            operation_name=prepared.operation_name,
        )
        if isawaitable(result):
            result = await result
    except Exception as exc:  # Strawberry answers it so, after the stage ended
        error = coerce_error(exc)
        schema.process_errors([error])
        return ExecutionResult(data=None, errors=[error], extensions={})
    if not result.errors:
        return ExecutionResult(data=result.data, errors=None, extensions={})
    # the operation stage around the result: the hooks that mask and code errors, as they would
    context = ExecutionContext(
        query=query,
        schema=schema,
        allowed_operations=allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES,
        context=context_value,
        root_value=root_value,
        variables=variable_values,
        provided_operation_name=operation_name,
    )
    extensions = schema.get_extensions()
    for extension in extensions:
        extension.execution_context = context
    runner = schema.create_extensions_runner(context, extensions)
    async with runner.operation():
        context.graphql_document = prepared.document
        context.result = result
        context.pre_execution_errors = result.errors
        schema.process_errors(result.errors, context)
    answer = ExecutionResult(data=result.data, errors=result.errors)
    answer.extensions = await runner.get_extensions_results(context)
    return answer
