"""What both adapters ask of a request body before the SDK sees it: whether it has the shape to act on."""

from __future__ import annotations

from typing import Any

import jsonschema


def first_problem(validator: jsonschema.protocols.Validator, body: Any, root: str) -> str:
    """Why `body` does not fit `validator`'s schema, or "" when it does (the most relevant problem, for
    the log; never the body itself)."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return ""
    where = "/".join(str(part) for part in error.absolute_path) or root
    return f"{where}: {error.validator} {error.validator_value!r}"[:200]
