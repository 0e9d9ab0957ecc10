"""schemathesis hooks for scripts/schemathesis.sh: the rules the OpenAPI documents cannot state
in JSON Schema, applied to the data schemathesis calls valid (positive cases only, so that a
case meant to be invalid stays invalid).

- Alphacomm's create: the lines add up to the transaction's amount (sum of amount x quantity),
  as docs/alphacomm.md says; JSON Schema cannot relate one field's value to others'.
- PayXToday: a payment is for a client the reseller has (one is made for each case, as a real
  integration makes its client first), and a client's e-mail is one no other client of the
  reseller has (each case's is made unique).
- The control plane's POST /accounts: a credential given under both its generic name and the
  provider's own (login and username, secret and password, ...) has one value.
- The control plane's snapshot upload: the bytes are a snapshot file (one the sandbox took).
"""
import copy
import itertools

import requests
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


_numbers = itertools.count(1)
OWN_NAMES = {"login": ("username", "client_id", "id_reseller"), "secret": ("password", "client_secret", "secret_key")}


def _one_value_per_credential(body):
    if not isinstance(body, dict):
        return
    for generic, names in OWN_NAMES.items():
        for name in names:
            if body.get(generic) is not None and body.get(name) is not None:
                body[name] = body[generic]
PAYXTODAY = "POST /api/v1/{id_reseller}/{secret_key}/"


def _unique_email(body):
    email = body.get("e_mail") if isinstance(body, dict) else None
    if isinstance(email, str):
        prefix = f"c{next(_numbers)}-"
        body["e_mail"] = prefix + email if len(prefix) + len(email) <= 255 else f"{prefix}x@sandbox.test"


def _a_client(case):
    """A new client of the case's reseller: its id."""
    base = case.operation.base_url.rstrip("/")
    reseller, key = case.path_parameters["id_reseller"], case.path_parameters["secret_key"]
    answer = requests.post(f"{base}/api/v1/{reseller}/{key}/clients/create", timeout=10, allow_redirects=False,
                           data={"name": "Schemathesis", "id_country": 1, "e_mail": f"payer{next(_numbers)}@sandbox.test"})
    answer.raise_for_status()
    return answer.json()["data"]["id_client"]


_snapshot_file = []


def _a_snapshot_file(case):
    """The bytes of a snapshot the sandbox took (taken once)."""
    if not _snapshot_file:
        base = case.operation.base_url.rstrip("/")
        name = f"schemathesis-sample-{next(_numbers)}"
        requests.post(f"{base}/snapshots", json={"name": name}, timeout=30).raise_for_status()
        answer = requests.get(f"{base}/snapshots/{name}/file", timeout=30, allow_redirects=False)
        answer.raise_for_status()
        _snapshot_file.append(answer.content)
    return _snapshot_file[0]


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    label = case.operation.label
    handled = ("POST /api/paypal/create", PAYXTODAY + "clients/create", PAYXTODAY + "payments/create", "POST /accounts")
    if positive and label == "PUT /snapshots/{name}/file":
        case.body = _a_snapshot_file(case)
        return case
    if not positive or label not in handled:
        return case
    body = copy.deepcopy(case.body)
    if label == "POST /api/paypal/create":
        _lines_add_up(body)
    elif label.endswith("clients/create"):
        _unique_email(body)
    elif label == "POST /accounts":
        _one_value_per_credential(body)
    elif isinstance(body, dict):
        body["id_client"] = _a_client(case)
    case.body = body
    return case
