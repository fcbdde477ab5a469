"""Administrative areas (county -> township -> village -> grid), keyed by division code."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from graph.model.base import Node, NonEmptyStr
from graph.model.enums import AreaLevel
from graph.model.identity import DivisionCode, level_of_code, parent_code


class Area(Node):
    """An administrative area or grid. Its key is its statistical division code."""

    LABEL: ClassVar[str] = "Area"
    KEY: ClassVar[str] = "code"
    INDEXED: ClassVar[tuple[str, ...]] = ("level", "parent_code", "name")

    code: DivisionCode
    level: AreaLevel
    name: NonEmptyStr
    parent_code: DivisionCode | None = None
    # Urban-rural classification code of the statistics bureau (城乡分类代码, e.g. 111, 220).
    urban_rural_code: str | None = Field(default=None, pattern=r"^[12][0-9]{2}$")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _check_code(self) -> Self:
        actual = level_of_code(self.code)
        if actual is not self.level:
            raise ValueError(f"code {self.code} is a {actual.value} code, not {self.level.value}")
        expected_parent = parent_code(self.code)
        if self.parent_code is not None and self.parent_code != expected_parent:
            raise ValueError(
                f"parent_code {self.parent_code} does not contain {self.code} (expected {expected_parent})"
            )
        return self

    @property
    def is_urban(self) -> bool | None:
        """Urban (城镇, codes 1xx) or rural (乡村, codes 2xx), when known."""
        return None if self.urban_rural_code is None else self.urban_rural_code.startswith("1")
