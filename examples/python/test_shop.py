"""The shop's tests, run inside a sandbox: `paysandbox run -- python3 -m pytest`."""

import os
import time

import pytest
import requests

from shop import Paytomat, Shop

SANDBOX = os.environ["PAYSANDBOX_URL"]  # set by `paysandbox run`


def control(method, path, **kwargs):
    answer = requests.request(method, f"{SANDBOX}/_sandbox{path}", timeout=35, **kwargs)
    answer.raise_for_status()
    return answer.json()


def verify(**expectation):
    """Asserts what the sandbox saw the shop do (POST /_sandbox/verify), waiting up to 5 s."""
    answer = requests.post(f"{SANDBOX}/_sandbox/verify", json={"wait_ms": 5000, **expectation}, timeout=35)
    assert answer.status_code == 200, answer.json()


def eventually(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within %s s" % seconds
        time.sleep(0.05)


@pytest.fixture(scope="session")
def baseline():
    """The state every test starts from, kept once as a snapshot."""
    control("POST", "/snapshots", json={"name": "baseline"})
    return "baseline"


@pytest.fixture
def account(baseline):
    """The baseline restored, then a Paytomat merchant account of this test's own."""
    control("POST", f"/snapshots/{baseline}/restore")
    return control("POST", "/accounts", json={"provider": "paytomat"})


@pytest.fixture
def shop(account):
    shop = Shop(Paytomat(account["api_url"]))
    yield shop
    shop.close()


def test_every_test_starts_from_the_baseline(account):
    # The transactions of the tests before this one were restored away with the snapshot.
    assert control("GET", "/payments", params={"provider": "paytomat"})["payments"] == []
    assert account["account"] == 3  # the baseline has accounts 1 and 2


def test_an_order_is_paid_when_the_postback_says_so_and_the_api_agrees(shop, account):
    transaction = shop.checkout(order_id=125, amount_usd=100)
    assert shop.status(125) == "awaiting payment"

    # The payer pays: here the control plane completes the transaction, postback included.
    control("POST", f"/payments/paytomat/{transaction['id']}/outcome", json={"outcome": "success"})
    eventually(lambda: shop.status(125) == "paid")

    number = account["account"]
    verify(provider="paytomat", account=number, route="POST /api/v1/create_transaction",
           where={"body.ref": 125}, count=1)
    verify(kind="deliveries", provider="paytomat", account=number, payment=str(transaction["id"]),
           answered="2xx", count=1)
    verify(provider="paytomat", account=number, route="GET /api/v1/transaction", payment=str(transaction["id"]))
    report = control("GET", f"/accounts/paytomat/{number}/report")
    assert report["summary"]["fail"] == 0, [c for c in report["checks"] if c["status"] == "fail"]


def test_a_failed_payment_is_shown_as_failed(shop):
    transaction = shop.checkout(order_id=126, amount_usd=40)
    control("POST", f"/payments/paytomat/{transaction['id']}/outcome",
            json={"outcome": "failure", "message": "Underpaid"})
    eventually(lambda: shop.status(126) == "payment failed")
