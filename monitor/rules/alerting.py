"""Alert rules of a monitor: a ``when:`` condition, how long it must hold, whom to tell."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from monitor.rules.expressions import BASE_METRICS, Expression, ExpressionError
from monitor.rules.expressions import parse as parse_expression
from monitor.rules.fields import Name, Strict

__all__ = ["AlertSpec"]


def _check_when(text: str) -> str:
    try:
        parse_expression(text, BASE_METRICS)
    except ExpressionError as exc:
        raise PydanticCustomError(
            "expression", "{message}", {"message": exc.message, "offset": exc.offset}
        ) from None
    return text


class AlertSpec(Strict):
    """An alert: a ``when`` condition held for ``for`` consecutive windows."""

    name: Name
    when: Annotated[str, AfterValidator(_check_when)] = Field(
        description="A condition on the run's metrics, such as 'drift_share > 0.3'."
    )
    # Only the alias is read (no populate_by_name), so 'for_' in a file is an unknown key.
    for_: int = Field(
        default=1, alias="for", ge=1, description="Consecutive windows before it fires."
    )
    severity: Literal["info", "warning", "critical"] = "warning"
    notify: list[str] = Field(default=[], description="Names of notifiers to tell.")

    @cached_property
    def expression(self) -> Expression:
        """The parsed ``when`` condition."""
        return parse_expression(self.when, BASE_METRICS)
