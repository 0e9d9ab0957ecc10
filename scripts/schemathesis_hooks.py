"""schemathesis hooks for scripts/schemathesis.sh: the rules the OpenAPI documents cannot state
in JSON Schema, applied to the data schemathesis calls valid (positive cases only, so that a
case meant to be invalid stays invalid).

- Alphacomm's create: the lines add up to the transaction's amount (sum of amount x quantity),
  as docs/alphacomm.md says; JSON Schema cannot relate one field's value to others'.
"""
import copy

import schemathesis
from schemathesis.generation import GenerationMode


def _lines_add_up(body):
    """The first line carries the whole amount (quantity 1), the others none."""
    transaction = body.get("transaction") if isinstance(body, dict) else None
    lines = transaction.get("lines") if isinstance(transaction, dict) else None
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        return
    if not isinstance(transaction.get("amount"), (int, float)):
        return
    lines[0]["quantity"] = "1"
    lines[0]["amount"] = transaction["amount"]
    for line in lines[1:]:
        line["amount"] = 0


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.operation.label == "POST /api/paypal/create":
        body = copy.deepcopy(case.body)
        _lines_add_up(body)
        case.body = body
    return case
