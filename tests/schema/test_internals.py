"""The private parts of Strawberry and graphql-core that ``schema/internals.py`` wraps.

Written for strawberry-graphql 0.341.2 and graphql-core 3.3.2. Another installed version fails
:func:`test_the_tested_versions_are_installed` on purpose: review ``schema/internals.py``
against the new version (each check below names what it relies on), then update ``TESTED``.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Any

import pytest
import strawberry
from graphql import GraphQLSchema, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from govgraph.schema import internals
from govgraph.schema.internals import (
    CoreExecutor,
    core_info,
    definition_of,
    graphql_schema,
    is_default_resolver,
    provided_operation_name,
)

VERSIONS = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}


def test_the_tested_versions_are_installed() -> None:
    installed = {name: version(name) for name in VERSIONS}
    assert internals.TESTED == VERSIONS
    assert installed == VERSIONS, (
        f"schema/internals.py was written for {VERSIONS}, but {installed} is installed: "
        "review its private accesses against the new versions, then update TESTED there "
        "and VERSIONS here"
    )


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def label(self) -> str:
        return self.name.upper()


seen: dict[str, Any] = {}


@strawberry.type
class Query:
    @strawberry.field
    def item(self, info: Info) -> Item:
        raw = core_info(info)
        seen["nodes"] = [n.name.value for n in raw.field_nodes]
        seen["fragments"] = sorted(raw.fragments)
        seen["schema"] = raw.schema
        return Item(name="a")


class RecordsOperationName(SchemaExtension):
    def on_validate(self) -> Any:
        seen["provided"] = provided_operation_name(self.execution_context)
        yield


class Recording(CoreExecutor):
    def fields(self, parent_type: Any, source: Any, path: Any, grouped: Any, pos: Any) -> Any:
        seen.setdefault("objects", []).append(parent_type.name)
        return self.normal_fields(parent_type, source, path, grouped, pos)

    def field(self, parent_type: Any, source: Any, details: Any, path: Any, pos: Any) -> Any:
        seen.setdefault("fields", []).append(details[0].node.name.value)
        if details[0].node.name.value == "item":
            item = graphql_schema_of(self).type_map["Item"]
            grouped, deferred = self.subfields(item, details)
            assert list(grouped) == ["name", "label"]  # the fragment's fields flattened in
            assert not deferred
        if details[0].node.name.value == "name":
            assert self.argument_values(parent_type.fields["name"], details) == {}
            assert isinstance(self.selection_key(details), tuple)
            assert self.complete_leaf(parent_type.fields["name"].type.of_type, "x") == "x"
        return self.normal_field(parent_type, source, details, path, pos)


def graphql_schema_of(ex: CoreExecutor) -> GraphQLSchema:
    return ex.graphql_schema


def make_schema() -> strawberry.Schema:
    return strawberry.Schema(
        Query, extensions=[RecordsOperationName], execution_context_class=Recording
    )


QUERY = "query Q { item { ...F label } } fragment F on Item { name }"


def test_graphql_schema_is_strawberrys_graphql_core_schema() -> None:
    schema = make_schema()
    core = graphql_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert core.type_map["Item"] is not None


def test_definitions_and_default_resolvers() -> None:
    core = graphql_schema(make_schema())
    item = core.type_map["Item"]
    assert definition_of(item).origin is Item  # type: ignore[union-attr]
    name, label = item.fields["name"], item.fields["label"]  # type: ignore[union-attr]
    assert definition_of(name).python_name == "name"
    assert is_default_resolver(name.resolve)
    assert not is_default_resolver(label.resolve)


@pytest.mark.parametrize("operation_name", [None, "Q"])
def test_executor_hooks_and_resolve_info(operation_name: str | None) -> None:
    seen.clear()
    result = asyncio.run(make_schema().execute(QUERY, operation_name=operation_name))
    assert result.errors is None, result.errors
    assert result.data == {"item": {"name": "a", "label": "A"}}
    assert seen["objects"] == ["Query", "Item"]  # fields: every object's selection
    assert seen["fields"] == ["item", "name", "label"]  # field: every field
    assert seen["nodes"] == ["item"]
    assert seen["fragments"] == ["F"]
    assert seen["provided"] == operation_name  # not the document's first operation's name


def test_executor_state() -> None:
    captured: dict[str, Any] = {}

    class Capturing(CoreExecutor):
        def fields(self, parent_type: Any, source: Any, path: Any, grouped: Any, pos: Any) -> Any:
            captured.update(
                context=self.request_context,
                operation=self.operation_node,
                fragments=dict(self.fragment_nodes),
                middleware=self.has_middleware,
                awaitable=self.awaitable(None),
            )
            return self.normal_fields(parent_type, source, path, grouped, pos)

    schema = strawberry.Schema(Query, execution_context_class=Capturing)
    context = {"who": "me"}
    asyncio.run(schema.execute(QUERY, context_value=context))
    assert captured["context"] is context
    assert isinstance(captured["operation"], OperationDefinitionNode)
    assert list(captured["fragments"]) == ["F"]
    assert captured["fragments"]["F"].type_condition.name.value == "Item"
    assert captured["middleware"] is False
    assert captured["awaitable"] is False


def test_field_errors_land_at_their_path() -> None:
    class Failing(CoreExecutor):
        def field(self, parent_type: Any, source: Any, details: Any, path: Any, pos: Any) -> Any:
            if details[0].node.name.value == "label":
                self.field_error(ValueError("no"), parent_type.fields["label"].type, details, path)
                return None
            return self.normal_field(parent_type, source, details, path, pos)

    schema = strawberry.Schema(Query, execution_context_class=Failing)
    result = asyncio.run(schema.execute("{ item { label } }"))
    assert result.data is None  # label is non-null: the error nulls its parent, and up
    assert result.errors is not None
    assert result.errors[0].path == ["item", "label"]


def test_gather_awaits_them_all() -> None:
    async def one() -> int:
        return 1

    async def both() -> list[int]:
        return await internals.gather(one(), one())

    assert asyncio.run(both()) == [1, 1]


def test_parse_gives_documents_the_caches_key_on() -> None:
    assert parse(QUERY) is not parse(QUERY)  # identity, not equality, keys the caches


# -- extension hooks found once (KeptHooksRunner) and MaskErrorsQuickly ----------------------------
class _Logged(SchemaExtension):
    """Every kind of hook Strawberry takes: generators, an async generator, a plain function,
    one that sees an error thrown into it."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def on_operation(self) -> Any:
        self.log.append(f"{self.name} operation in")
        yield
        self.log.append(f"{self.name} operation out: {self.execution_context.result is not None}")

    async def on_parse(self) -> Any:
        self.log.append(f"{self.name} parse in")
        try:
            yield
        except Exception as exc:
            self.log.append(f"{self.name} parse failed: {type(exc).__name__}")
            raise
        self.log.append(f"{self.name} parse out")

    def on_validate(self) -> None:  # a plain function: Strawberry's own wrapper
        self.log.append(f"{self.name} validate")

    def get_results(self) -> dict[str, Any]:
        return {self.name: len(self.log)}


class _OnlyExecute(SchemaExtension):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def on_execute(self) -> Any:
        self.log.append("execute in")
        yield
        self.log.append("execute out")

    async def get_results(self) -> dict[str, Any]:
        return {"executed": "execute out" in self.log}


def _hook_log(kept: bool, query: str) -> tuple[list[str], Any, Any, Any]:
    log: list[str] = []
    runner = internals.KeptHooksRunner if kept else internals.SchemaExtensionsRunner

    class Checked(strawberry.Schema):
        def create_extensions_runner(self, context: Any, extensions: Any) -> Any:
            return runner(execution_context=context, extensions=extensions)

    extensions = [lambda: _Logged(log, "a"), lambda: _OnlyExecute(log), lambda: _Logged(log, "b")]
    schema = Checked(Query, extensions=extensions)
    results = [asyncio.run(schema.execute(query)) for _ in range(2)]  # found, then kept
    last = results[-1]
    return log, last.data, [e.message for e in last.errors or ()], last.extensions


@pytest.mark.parametrize("query", ["{ item { name } }", "{ item { name", "{ nothing }"])
def test_kept_hooks_run_as_strawberrys_do(query: str) -> None:
    assert _hook_log(kept=True, query=query) == _hook_log(kept=False, query=query)


def test_mask_errors_quickly_masks_what_mask_errors_masks() -> None:
    @strawberry.type
    class Failing:
        @strawberry.field
        def boom(self) -> str | None:
            raise ValueError("secret")

    for mask in (internals.MaskErrorsQuickly, strawberry.extensions.MaskErrors):
        schema = strawberry.Schema(Failing, extensions=[mask])
        result = asyncio.run(schema.execute("{ boom }"))
        assert result.data == {"boom": None}
        assert [e.message for e in result.errors or ()] == ["Unexpected error."]
        assert asyncio.run(schema.execute("{ __typename }")).errors is None
