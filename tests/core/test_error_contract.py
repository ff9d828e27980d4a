"""docs/errors.md is the error contract: it lists exactly the schema's UserErrorCode enum,
every code the services raise, and every extensions.code the gateway and subgraphs set;
every mutation can answer its typed ValidationError."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TypeVar

from graphql import GraphQLUnionType, get_named_type

from services.core.errors import AccessDenied, DomainError, ErrorCode
from services.registry import SERVICE_NAMES, spec

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "errors.md").read_text()


def documented(section: str) -> set[str]:
    """The codes in the first column of the table under the heading containing ``section``."""
    part = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", part, re.M))


USER_CODES = documented("`UserError.code`")
EXTENSION_CODES = documented("`errors[].extensions.code`")


def _subclasses(cls: type[T]) -> set[type[T]]:
    found: set[type[T]] = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _python_sources() -> list[Path]:
    return sorted((ROOT / "services").rglob("*.py"))


def raised_user_codes() -> set[str]:
    """Codes of DomainError subclasses, and ``code="X"`` passed to any of them."""
    for name in SERVICE_NAMES:  # import every feature module
        spec(name).schema()
    classes: set[type[DomainError]] = {DomainError, *_subclasses(DomainError)}
    codes = {str(c.code) for c in classes}
    names = {c.__name__ for c in classes}
    for path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called not in names:
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    codes.add(str(kw.value.value))
    return codes


def test_user_error_codes_are_documented_and_in_the_enum() -> None:
    enum_values = {e.value for e in ErrorCode}
    assert USER_CODES == enum_values, "docs/errors.md and ErrorCode differ"
    raised = raised_user_codes()
    assert raised <= enum_values, f"raised but not in ErrorCode: {raised - enum_values}"


def test_the_supergraph_enum_is_the_documented_one() -> None:
    sdl = (ROOT / "gateway" / "supergraph.graphql").read_text()
    block = re.search(r"enum UserErrorCode[^{]*\{(.*?)\}", sdl, re.S)
    assert block, "UserErrorCode is not in the supergraph"
    values = set(re.findall(r"^\s*([A-Z_]+)\b", block.group(1), re.M))
    assert values == USER_CODES
    for name in SERVICE_NAMES:
        schema = spec(name).schema()._schema
        code = schema.get_type("UserError").fields["code"]  # type: ignore[union-attr]
        assert get_named_type(code.type).name == "UserErrorCode", name


def raised_extension_codes() -> set[str]:
    refusals: set[type[AccessDenied]] = {AccessDenied, *_subclasses(AccessDenied)}
    codes = {str(c.code) for c in refusals}
    for path in _python_sources():
        text = path.read_text()
        codes |= set(re.findall(r"\"code\": \"([A-Z_]+)\"", text)) & _extension_like(text)
        codes |= set(re.findall(r"extensions\[\"code\"\] = [^\n]*?\"([A-Z_]+)\"", text))
        codes |= set(re.findall(r"update\(code=\"([A-Z_]+)\"", text))
    for path in sorted((ROOT / "gateway").glob("*.ts")):
        text = path.read_text()
        codes |= set(re.findall(r"code: '([A-Z_]+)'", text))
        codes |= set(re.findall(r"refusal\(\d+, '([A-Z_]+)'", text))
        codes |= set(re.findall(r"\[/[^\n]*/i?, '([A-Z_]+)'\]", text))
    return codes


def _extension_like(text: str) -> set[str]:
    """Codes written inside an ``extensions`` dict (not, e.g., a flag rule's own code)."""
    return set(re.findall(r"extensions=?\{?[^\n]*?\"code\": \"([A-Z_]+)\"", text))


def test_every_extension_code_set_in_the_code_is_documented() -> None:
    raised = raised_extension_codes()
    assert {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "INTERNAL"} <= raised
    assert "COST_ESTIMATED_TOO_EXPENSIVE" in EXTENSION_CODES
    missing = raised - EXTENSION_CODES
    assert not missing, f"set in the code but not in docs/errors.md: {missing}"


def test_every_mutation_can_answer_a_validation_error() -> None:
    """Bad input to any mutation is its typed ValidationError (services.core.graphql.inputs)."""
    for name in SERVICE_NAMES:
        schema = spec(name).schema()._schema
        assert schema.mutation_type is not None
        for field_name, f in schema.mutation_type.fields.items():
            result = get_named_type(f.type)
            assert isinstance(result, GraphQLUnionType), f"{name} {field_name}"
            kinds = {t.name for t in schema.get_possible_types(result)}
            assert "ValidationError" in kinds, f"{name} {field_name} has no ValidationError"
