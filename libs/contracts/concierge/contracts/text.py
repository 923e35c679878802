"""Text fields that end up in Postgres, refused at the field when they hold characters
it cannot store (NUL) or that make no sense in a one-line value (other control
characters). A refusal is a 422 naming the field; the schema says the same with a
``pattern``, so clients (and schema-driven fuzzers) know it in advance.

Put the marker after any ``StringConstraints`` (they must run first, on the raw text):
``Annotated[str, StringConstraints(max_length=64), SINGLE_LINE]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

# The same class in Python's, Rust's and ECMAScript's (JSON Schema) regular expressions.
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001F\u007F]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"


@dataclass(frozen=True)
class NoControlCharacters:
    """Refuses control characters; ``line_breaks`` lets newlines and tabs through."""

    line_breaks: bool = False

    @property
    def pattern(self) -> str:
        return MULTI_LINE_PATTERN if self.line_breaks else SINGLE_LINE_PATTERN

    def check(self, value: str) -> str:
        if not re.match(self.pattern, value):
            allowed = "; line breaks and tabs are" if self.line_breaks else ""
            raise ValueError(f"control characters (NUL, …) are not allowed{allowed}")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if "pattern" in json_schema:  # one pattern a schema: the other goes in allOf
            json_schema.setdefault("allOf", []).append({"pattern": self.pattern})
        else:
            json_schema["pattern"] = self.pattern
        return json_schema


SINGLE_LINE = NoControlCharacters()
MULTI_LINE = NoControlCharacters(line_breaks=True)

SingleLine = Annotated[str, SINGLE_LINE]
MultiLine = Annotated[str, MULTI_LINE]


_CONTROLS_BUT_LINE_BREAKS = re.compile(r"[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]")


def strip_control_characters(text: str) -> str:
    """``text`` without the control characters a MULTI_LINE field refuses (what a user
    typed in a chat may hold them; a search or a question does not need them)."""
    return _CONTROLS_BUT_LINE_BREAKS.sub("", text)
