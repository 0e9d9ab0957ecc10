#!/usr/bin/env python3
"""The payer pages and the dashboard, driven in a real browser (headless Chromium).

For each provider: create a payment through the API, open the payer page, pay or decline,
land on the merchant's redirect (a real HTTP listener here), see the callback in the
dashboard. The flows run with JavaScript off (the pages need none); a second pass with
JavaScript on opens every page with hostile text in every free-text field and fails if any
script runs, and checks that every page fits a phone's width. Screenshots of every page go
to --out.

    python3 Tests/Browser/browser_test.py --binary .build/debug/paysandbox --out .build/browser
    python3 Tests/Browser/browser_test.py --base http://localhost:8080 --out /tmp/shots

Needs chromium, chromium-driver (Debian) and selenium (PyPI); .ci/run installs them.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


class Merchant:
    """The merchant's side on 127.0.0.1: receives callbacks (POST), serves return pages and
    the page holding Census's card form (GET)."""

    def __init__(self):
        self.received = []
        self.pages = {}
        self.lock = threading.Condition()
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with merchant.lock:
                    merchant.received.append((self.path, body.decode("utf-8", "replace")))
                    merchant.lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self):
                page = merchant.pages.get(self.path)
                if page is None:
                    page = "<!doctype html><title>Merchant</title><h1 id=landed>Back at the merchant</h1><p id=path>%s</p>" % (
                        self.path.replace("&", "&amp;").replace("<", "&lt;"))
                data = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, path, timeout=10):
        deadline = time.time() + timeout
        with self.lock:
            while True:
                found = [body for p, body in self.received if p == path]
                if found:
                    return found[-1]
                if time.time() > deadline:
                    raise AssertionError("no callback at %s within %ds (got %s)" % (path, timeout, [p for p, _ in self.received]))
                self.lock.wait(0.1)


class Sandbox:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, headers=None, form=False):
        data = None
        headers = dict(headers or {})
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


class Browser:
    def __init__(self, out, javascript):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1200,1000", "--no-proxy-server", "--disable-extensions", "--hide-scrollbars"]:
            options.add_argument(argument)
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(20)
        self.out = out

    def open(self, url):
        self.driver.get(url)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.out, name + ".png"))

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def click(self, text):
        for button in self.driver.find_elements(By.TAG_NAME, "button"):
            if button.text.strip() == text:
                page = self.driver.find_element(By.TAG_NAME, "html")
                button.click()
                WebDriverWait(self.driver, 10).until(lambda driver: replaced(page))
                WebDriverWait(self.driver, 10).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
                return
        raise AssertionError("no button %r on %s" % (text, self.driver.current_url))

    def fill(self, label, value):
        field = self.driver.find_element(By.XPATH, "//label[normalize-space(text())=%s]" % xpath_literal(label))
        target = field.get_attribute("for")
        element = self.driver.find_element(By.ID, target) if target else field.find_element(By.TAG_NAME, "input")
        element.clear()
        element.send_keys(value)

    def quit(self):
        self.driver.quit()


def replaced(element):
    """True once the page holding `element` has been navigated away from."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:  # mid-navigation: "Node ... does not belong to the document"
        return "document" in str(error) or "stale" in str(error)


def xpath_literal(text):
    return "'%s'" % text if "'" not in text else 'concat("%s")' % text


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


class Flows:
    """One payment per provider, created through the API and paid or declined in the browser."""

    def __init__(self, sandbox, merchant, browser, text="", logo=None, may_reset=False):
        self.sandbox, self.merchant, self.browser, self.text = sandbox, merchant, browser, text
        self.may_reset = may_reset
        self.base = sandbox.base
        self.logo = logo or merchant.url + "/logo.png"

    def describe(self, plain):
        return self.text or plain

    # Project CX: approve on the order page, back at the return URL, callback Success.
    def projectcx_create(self, amount=10000):
        status, login = self.sandbox.call("POST", "/projectcx/rest2/login", {"username": "sandbox", "password": "sandbox-secret"})
        expect(status == 200, "login %s %s" % (status, login))
        status, order = self.sandbox.call("POST", "/projectcx/rest2/payment/create", {
            "amount": amount, "description": self.describe("Order 1042: two tickets"), "info": self.describe("Seats 14 and 15"),
            "callback": self.merchant.url + "/cb/projectcx"}, headers={"Authorization": "Bearer " + login["auth_token"]})
        expect(status == 200, "create %s %s" % (status, order))
        return order["orderId"]

    def projectcx_page(self, order):
        return "%s/projectcx/payment?orderId=%s&return=%s" % (self.base, order, urllib.parse.quote(self.merchant.url + "/return/projectcx?order=" + order, safe=""))

    def projectcx(self):
        b = self.browser
        order = self.projectcx_create()
        b.open(self.projectcx_page(order))
        expect("A$100.00" in b.text(), "the amount in Australian dollars")
        b.shot("projectcx-payment")
        b.click("Approve payment")
        expect(b.driver.current_url == self.merchant.url + "/return/projectcx?order=" + order, "landed on %s" % b.driver.current_url)
        callback = json.loads(self.merchant.wait_for("/cb/projectcx"))
        expect(callback["status"] == "Success", "callback %s" % callback)
        self.dashboard("projectcx", order, "success", "projectcx")

    # Paytomat: the widget from payment_url, buy a product for BTC, simulate the coins
    # arriving, advance the clock past the confirmations in the dashboard, postback success.
    def paytomat_product(self):
        auth = {"Authorization": "Basic " + base64.b64encode(b"sandbox:sandbox-secret").decode()}
        status, product = self.sandbox.call("POST", "/paytomat/api/v1/create_product", {
            "title": self.describe("Pierogi"), "amount": 15, "currency": "USD", "unit": "piece",
            "callback_url": self.merchant.url + "/cb/paytomat"}, headers=auth)
        expect(status == 200, "create_product %s %s" % (status, product))
        status, widget = self.sandbox.call("GET", "/paytomat/api/v1/payment_url", headers=auth)
        expect(status == 200, "payment_url %s %s" % (status, widget))
        return widget["url"]

    def paytomat(self):
        b = self.browser
        b.open(self.paytomat_product())
        b.shot("paytomat-widget")
        b.fill("Quantity", "2")
        b.click("Buy")
        expect("/pay/tx/" in b.driver.current_url, "the transaction page, not %s" % b.driver.current_url)
        expect("BTC" in b.text() and "new" in b.text(), "a new BTC transaction")
        expect(b.driver.find_elements(By.CSS_SELECTOR, ".qr svg"), "the QR code is on the page")
        b.shot("paytomat-transaction")
        b.click("Simulate payment received")
        expect("pending" in b.driver.find_element(By.CSS_SELECTOR, ".status").text, "pending after the coins arrive")
        # The dashboard: find the payment, advance the clock past two confirmations.
        b.open(self.base + "/_sandbox/?provider=paytomat")
        b.driver.find_element(By.CSS_SELECTOR, "tbody a").click()
        payment = b.driver.current_url.rstrip("/").split("/")[-2]
        b.open(self.base + "/_sandbox/")
        b.fill("Advance the clock by", "180")
        b.click("Advance")
        postback = json.loads(self.merchant.wait_for("/cb/paytomat"))
        expect(postback["tx_status"] == "success", "postback %s" % postback)
        self.dashboard("paytomat", payment, "success", "paytomat")

    # Census: the merchant's page holds the form from the API; the payer submits it, enters a
    # declined card on the gateway, and lands on return_url with __RESULT__ = ko.
    def census_form(self):
        status, created = self.sandbox.call("POST", "/census/api/v1/payments/orders", {
            "person_id": "3@census", "description": self.describe("Cuota noviembre"), "amount": 1500, "campaign_code": "cuotas",
            "payment_method_type": "credit_card_external", "return_url": self.merchant.url + "/return/census/__RESULT__"}, form=True)
        expect(status == 202, "order %s %s" % (status, created))
        form = created["form"]
        fields = "".join('<input type="hidden" name="%s" value="%s">' % (k, v) for k, v in form["fields"].items())
        path = "/shop/census/%s" % form["fields"]["order_id"]
        self.merchant.pages[path] = '<!doctype html><title>Shop</title><form method="post" action="%s">%s<button type="submit">Pay by card</button></form>' % (form["action"], fields)
        return self.merchant.url + path, form["fields"]["order_id"]

    def census(self):
        b = self.browser
        page, order = self.census_form()
        b.open(page)
        b.click("Pay by card")
        expect("15.00 €" in b.text(), "the amount in euros")
        b.shot("census-card")
        b.fill("Card number", "4000 0000 0000 0002")
        b.click("Pay")
        expect(b.driver.current_url == self.merchant.url + "/return/census/ko", "landed on %s" % b.driver.current_url)
        self.dashboard("census", order, "error", None)

    # PayXToday: the reseller's URLs set through the control plane; pay with a test card,
    # land on the success URL with the uuid, the success webhook arrives.
    def payxtoday_payment(self):
        # A reseller of its own (so a sandbox given with --base keeps reseller 1's URLs).
        status, reseller = self.sandbox.call("POST", "/_sandbox/accounts", {"provider": "payxtoday"})
        expect(status == 201, "new reseller %s %s" % (status, reseller))
        status, _ = self.sandbox.call("PATCH", "/_sandbox/accounts/payxtoday/%d" % reseller["account"], {
            "callback": {"payments": {"success": self.merchant.url + "/return/payxtoday/success/{UUID}", "error": self.merchant.url + "/return/payxtoday/error?ppuuid="}},
            "webhook": {"payments": {"success": self.merchant.url + "/cb/payxtoday/success", "error": self.merchant.url + "/cb/payxtoday/error"}}})
        expect(status == 200, "settings %s" % status)
        api = "/payxtoday/api/v1/%d/%s/" % (reseller["account"], reseller["secret"])
        status, client = self.sandbox.call("POST", api + "clients/create", {
            "name": self.describe("Kari Nordmann"), "id_country": 102, "e_mail": "kari%d@example.com" % time.time_ns()}, form=True)
        expect(status == 200, "client %s %s" % (status, client))
        status, payment = self.sandbox.call("POST", api + "payments/create", {
            "id_client": client["data"]["id_client"], "price": "290", "period": 12, "description": self.describe("Yearly plan")}, form=True)
        expect(status == 200, "payment %s %s" % (status, payment))
        return payment["data"]

    def payxtoday(self):
        b = self.browser
        payment = self.payxtoday_payment()
        uuid = payment["uuid_payment"]
        b.open(self.base + "/payxtoday/pay/" + uuid)
        expect("€290.00" in b.text(), "the amount in euros")
        b.shot("payxtoday-pay")
        b.fill("Card number", "5555 5555 5555 4444")
        b.click("Pay")
        expect(b.driver.current_url == self.merchant.url + "/return/payxtoday/success/" + uuid, "landed on %s" % b.driver.current_url)
        webhook = json.loads(self.merchant.wait_for("/cb/payxtoday/success"))
        expect(str(webhook.get("uuid_payment", webhook)) and uuid in json.dumps(webhook), "webhook %s" % webhook)
        self.dashboard("payxtoday", str(payment["id_payment"] if "id_payment" in payment else payment["id"]), "paid", "payxtoday")

    # Alphacomm: approve on the PayPal-style page, back at returnUrl; no callbacks exist in
    # its API, so the dashboard shows the state change (and the status call says authorized).
    def alphacomm_create(self):
        status, token = self.sandbox.call("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
        expect(status == 200, "token %s" % status)
        with open(os.path.join(os.path.dirname(__file__), "..", "Fixtures", "Alphacomm", "create-request.json")) as f:
            request = json.load(f)
        payment_id = str(__import__("uuid").uuid4())
        request.update({"paymentId": payment_id, "returnUrl": self.merchant.url + "/return/alphacomm", "logo": self.logo,
                        "companyName": self.describe("Alphacomm Demo Shop")})
        request["transaction"]["description"] = self.describe(request["transaction"]["description"])
        for line in request["transaction"]["lines"]:
            line["name"] = self.describe(line["name"])
            line["description"] = self.describe(line.get("description", ""))
        status, created = self.sandbox.call("POST", "/alphacomm/api/paypal/create", request, headers={"Authorization": "Bearer " + token["access_token"]})
        expect(status == 200, "create %s %s" % (status, created))
        return created, token["access_token"]

    def alphacomm(self):
        b = self.browser
        created, token = self.alphacomm_create()
        b.open(created["redirectUrl"])
        b.shot("alphacomm-approval")
        b.click("Approve")
        expect(b.driver.current_url == self.merchant.url + "/return/alphacomm", "landed on %s" % b.driver.current_url)
        status, state = self.sandbox.call("GET", "/alphacomm/api/paypal/status/" + created["paymentId"], headers={"Authorization": "Bearer " + token})
        expect(state["state"] == "authorized", "state %s" % state)
        self.dashboard("alphacomm", created["paymentId"], "authorized", None)

    # The dashboard's own buttons: force a failure, replay the callback, reset (confirmed).
    def dashboard_actions(self):
        b = self.browser
        order = self.projectcx_create(amount=2500)
        b.open("%s/_sandbox/payments/projectcx/%s/view" % (self.base, order))
        expect(b.driver.find_element(By.CSS_SELECTOR, "td.status").text == "pending", "a pending order")
        b.click("Force failure")
        callback = json.loads(self.merchant.wait_for("/cb/projectcx"))
        expect(callback["status"] == "Failure" and callback["message"] == "Declined in the dashboard", "callback %s" % callback)
        before = sum(1 for p, _ in self.merchant.received if p == "/cb/projectcx")
        self.dashboard("projectcx", order, "failure", None)
        b.click("Replay")
        deadline = time.time() + 10
        while sum(1 for p, _ in self.merchant.received if p == "/cb/projectcx") <= before and time.time() < deadline:
            time.sleep(0.05)
        expect(sum(1 for p, _ in self.merchant.received if p == "/cb/projectcx") == before + 1, "the replay arrived")
        deadline = time.time() + 10
        while len(b.driver.find_elements(By.CSS_SELECTOR, "li.attempt")) < 2 and time.time() < deadline:
            b.open("%s/_sandbox/payments/projectcx/%s/view" % (self.base, order))
        expect(len(b.driver.find_elements(By.CSS_SELECTOR, "li.attempt")) == 2, "two attempts listed after the replay")
        b.shot("dashboard-replayed")
        if not self.may_reset:
            return  # a sandbox given with --base is somebody's: its data stays
        b.open(self.base + "/_sandbox/")
        b.click("Reset the sandbox")
        expect("I am sure" in b.text() and "/_sandbox/ui/reset" in b.driver.current_url, "a reset without the tick is refused")
        b.open(self.base + "/_sandbox/")
        b.driver.find_element(By.NAME, "confirm").click()
        b.click("Reset the sandbox")
        expect("No payments yet." in b.text(), "the reset emptied the list")

    # The account page: the readiness report as a checklist, a trial's progress, a payment's
    # calls and callbacks as a sequence diagram with its fault marked.
    def account_page(self):
        b = self.browser
        auth = {"Authorization": "Basic " + base64.b64encode(b"sandbox2:sandbox2-secret").decode()}
        status, trial = self.sandbox.call("POST", "/_sandbox/accounts/paytomat/2/trials", {"plan": "callbacks", "seed": 3})
        expect(status == 201, "trial %s %s" % (status, trial))
        first = trial["situations"][0]["situation"]
        self.sandbox.call("PATCH", "/_sandbox/accounts/paytomat/2", {"timing": {"confirmation_seconds": 0}})
        status, made = self.sandbox.call("POST", "/paytomat/api/v1/create_transaction", {
            "ref": 77, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100,
            "callback_url": self.merchant.url + "/cb/paytomat-account"},
            headers=dict(auth, **{"X-PaySandbox-Outcome": "success; after=0"}))
        expect(status == 200, "create %s %s" % (status, made))
        if first != "callback-late":
            self.merchant.wait_for("/cb/paytomat-account")
        self.sandbox.call("GET", "/paytomat/api/v1/transaction?id=%d" % made["id"], headers=auth)
        self.sandbox.call("POST", "/paytomat/api/v1/create_transaction", {"ref": 78, "currency_in": "USD"}, headers=auth)
        b.open("%s/_sandbox/accounts/paytomat/2/view" % self.base)
        rows = b.driver.find_elements(By.CSS_SELECTOR, "tr.check")
        expect(len(rows) == 9, "nine checks, not %d" % len(rows))
        failed = [r.text for r in b.driver.find_elements(By.CSS_SELECTOR, "tr.check-fail")]
        expect(len(failed) == 1 and "requests-valid" in failed[0], "the refused create fails requests-valid: %s" % failed)
        expect(b.driver.find_elements(By.CSS_SELECTOR, "ul.situations li"), "the trial's situations are listed")
        events = b.driver.find_elements(By.CSS_SELECTOR, "svg.sequence g.event")
        expect(len(events) >= 3, "the payment's create, callback and read-back are drawn: %d" % len(events))
        expect("fault" in b.text(), "the callback's fault is marked")
        size = b.driver.get_window_size()
        b.driver.set_window_size(1200, 2400)
        b.shot("dashboard-account")
        b.driver.set_window_size(size["width"], size["height"])

    def dashboard(self, provider, payment, status, shot):
        """The payment's dashboard page: its status, and each callback delivered with a 200."""
        b = self.browser
        url = "%s/_sandbox/payments/%s/%s/view" % (self.base, provider, urllib.parse.quote(payment, safe=""))
        deadline = time.time() + 10
        while True:
            b.open(url)
            status_text = b.driver.find_element(By.CSS_SELECTOR, "td.status").text
            states = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "tr.delivery td.state")]
            attempts = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "li.attempt")]
            wants_callback = provider not in ("census", "alphacomm")
            done = status_text == status and (not wants_callback or (states and all(s == "delivered" for s in states)))
            if done or time.time() > deadline:
                break
            time.sleep(0.2)
        expect(status_text == status, "%s dashboard status %r, expected %r" % (provider, status_text, status))
        if wants_callback:
            expect(states and all(s == "delivered" for s in states), "%s deliveries %s" % (provider, states))
            expect(any(": 200 in " in a for a in attempts), "%s attempts %s" % (provider, attempts))
        expect(status in b.text(), "the timeline shows %s" % status)
        if shot:
            b.shot("dashboard-" + shot)


def hostile_pass(sandbox, merchant, browser):
    """Hostile text in every free-text field: no script runs on any page, the text shows."""
    flows = Flows(sandbox, merchant, browser, text=HOSTILE, logo='https://a.example/x.png"><script>alert(3)</script>')
    b = browser
    pages = []
    order = flows.projectcx_create()
    pages.append(("projectcx", flows.projectcx_page(order)))
    pages.append(("paytomat widget", flows.paytomat_product()))
    page, census_order = flows.census_form()
    pages.append(("census", page))
    uuid = flows.payxtoday_payment()["uuid_payment"]
    pages.append(("payxtoday", sandbox.base + "/payxtoday/pay/" + uuid))
    created, _ = flows.alphacomm_create()
    pages.append(("alphacomm", created["redirectUrl"]))
    pages.append(("dashboard list", sandbox.base + "/_sandbox/?q=" + urllib.parse.quote(HOSTILE)))
    pages.append(("dashboard payment", "%s/_sandbox/payments/projectcx/%s/view" % (sandbox.base, order)))
    for label, url in pages:
        b.open(url)
        if label == "census":
            b.click("Pay by card")
        time.sleep(0.2)
        try:
            alert = b.driver.switch_to.alert
            raise AssertionError("%s: a script ran (alert %r)" % (label, alert.text))
        except NoAlertPresentException:
            pass
        ran = b.driver.execute_script("return document.querySelectorAll('script').length")
        expect(ran == 0, "%s: %d script elements in the page" % (label, ran))
        if label not in ("dashboard list",):
            expect("<script>alert(1)</script>" in b.text(), "%s: the hostile text is not shown as text" % label)
    # A phone: every page fits 390 px without sideways scrolling (the dashboard's tables
    # scroll inside their box).
    b.driver.set_window_size(390, 844)
    for label, url in pages:
        b.open(url)
        if label == "census":
            b.click("Pay by card")
        width = b.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        expect(width[0] <= width[1], "%s: %d px wide on a %d px phone" % (label, width[0], width[1]))
    b.open(Flows(sandbox, merchant, browser).projectcx_page(Flows(sandbox, merchant, browser).projectcx_create()))
    b.shot("projectcx-payment-phone")


def cross_site_pass(sandbox, merchant, browser):
    """Another site's page (the merchant's listener reached as `localhost`, a different site
    from the sandbox's 127.0.0.1) tries what a hostile page would: a form POST to
    /_sandbox/reset, a fetch of the request journal, a form POST to a payer page's approve
    action, and framing the approval page. Each fails; the payment stays pending and nothing
    is wiped. The same site's auto-submitted Census order form still reaches the card page,
    as a shop's does, and paying there lands back at the shop."""
    b = browser
    flows = Flows(sandbox, merchant, browser)
    order = flows.projectcx_create()
    status, before = sandbox.call("GET", "/_sandbox/requests?limit=1000")
    expect(status == 200 and before["requests"], "the journal has the create")
    other = merchant.url.replace("127.0.0.1", "localhost")
    base = sandbox.base
    merchant.pages["/evil"] = """<!doctype html><title>Evil</title>
<form id=reset method=post action="%(base)s/_sandbox/reset" target=sink1><input name=confirm value=yes></form>
<form id=approve method=post action="%(base)s/projectcx/payment" target=sink2>
<input name=orderId value="%(order)s"><input name=decision value=approve></form>
<iframe name=sink1></iframe><iframe name=sink2></iframe>
<iframe id=framed src="%(base)s/projectcx/payment?orderId=%(order)s"></iframe>
<p id=read>pending</p>
<script>
fetch("%(base)s/_sandbox/requests").then(r => r.text()).then(t => { document.getElementById("read").textContent = "READ " + t.length; })
  .catch(() => { document.getElementById("read").textContent = "blocked"; });
document.getElementById("reset").submit();
document.getElementById("approve").submit();
</script>""" % {"base": base, "order": order}
    b.open(other + "/evil")
    WebDriverWait(b.driver, 10).until(lambda d: d.find_element(By.ID, "read").text != "pending")
    def landed(driver):  # the two form posts' answers are in their frames
        texts = []
        for name in ("sink1", "sink2"):
            driver.switch_to.frame(driver.find_element(By.NAME, name))
            texts.append(driver.execute_script("return document.body ? document.body.innerText : ''") or "")
            driver.switch_to.default_content()
        return all(texts)
    WebDriverWait(b.driver, 10).until(landed)
    expect(b.driver.find_element(By.ID, "read").text == "blocked",
           "another site read the journal: %s" % b.driver.find_element(By.ID, "read").text)
    b.driver.switch_to.frame(b.driver.find_element(By.ID, "framed"))
    framed = b.driver.execute_script("return document.body ? document.body.innerText : ''") or ""
    b.driver.switch_to.default_content()
    expect("Approve payment" not in framed, "the approval page showed in another site's frame")
    b.shot("cross-site-attempts")
    status, payment = sandbox.call("GET", "/_sandbox/payments/projectcx/" + order)
    expect(status == 200 and payment["status"] == "pending", "the payment changed: %s %s" % (status, payment))
    status, after = sandbox.call("GET", "/_sandbox/requests?limit=1000")
    kept = set(r["id"] if "id" in r else json.dumps(r, sort_keys=True) for r in before["requests"])
    still = set(r["id"] if "id" in r else json.dumps(r, sort_keys=True) for r in after["requests"])
    expect(kept <= still, "the journal was wiped")
    refused = [r for r in after["requests"] if r["path"].endswith("/payment") and r["method"] == "POST"]
    expect(refused and all(r["status"] == 403 for r in refused), "the approve attempt: %s" % [r["status"] for r in refused])
    # The shop's own auto-submitted Census form, from the other site, reaches the card page.
    page, census_order = flows.census_form()
    auto = page.replace("127.0.0.1", "localhost")
    path = urllib.parse.urlparse(page).path
    merchant.pages[path] = merchant.pages[path].replace("<form ", "<form id=shop ") + "<script>document.getElementById('shop').submit()</script>"
    b.open(auto)
    WebDriverWait(b.driver, 10).until(lambda d: d.current_url.startswith(base))
    WebDriverWait(b.driver, 10).until(lambda d: "15.00" in d.find_element(By.TAG_NAME, "body").text)
    b.click("Pay")
    expect(b.driver.current_url == merchant.url + "/return/census/ok", "landed on %s" % b.driver.current_url)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="start this paysandbox binary (in-memory store) for the run")
    parser.add_argument("--base", help="or use a running sandbox at this URL")
    parser.add_argument("--out", default=".build/browser", help="folder for the screenshots")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    process = None
    if args.binary:
        port = free_port()
        process = subprocess.Popen([args.binary, "--port", str(port), "--host", "127.0.0.1", "--db", ":memory:",
                                    "--no-provider-ports", "--log-level", "warning"])
        base = "http://127.0.0.1:%d" % port
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/_sandbox/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
    else:
        base = args.base or "http://localhost:8080"
    sandbox, merchant = Sandbox(base), Merchant()
    failures = []
    try:
        browser = Browser(args.out, javascript=False)
        try:
            flows = Flows(sandbox, merchant, browser, may_reset=process is not None)
            for name in ["projectcx", "paytomat", "census", "payxtoday", "alphacomm", "account_page", "dashboard_actions"]:
                if name == "dashboard_actions":
                    browser.open(base + "/_sandbox/")
                    browser.shot("dashboard")
                started = time.time()
                try:
                    getattr(flows, name)()
                    print("ok   %s (%.1f s)" % (name, time.time() - started))
                except Exception:
                    browser.shot("failed-" + name)
                    failures.append(name)
                    print("FAIL %s\n%s" % (name, traceback.format_exc()))
        finally:
            browser.quit()
        browser = Browser(args.out, javascript=True)
        passes = [("hostile", hostile_pass, "hostile text inert on every page, pages fit a phone"),
                  ("cross-site", cross_site_pass, "another site can neither write, read, submit a payer's form nor frame a page")]
        try:
            for name, run, says in passes:
                started = time.time()
                try:
                    browser.driver.set_window_size(1200, 1000)
                    run(sandbox, merchant, browser)
                    print("ok   %s (%.1f s)" % (says, time.time() - started))
                except Exception:
                    browser.shot("failed-" + name)
                    failures.append(name)
                    print("FAIL %s\n%s" % (name, traceback.format_exc()))
        finally:
            browser.quit()
    finally:
        if process:
            process.terminate()
            process.wait(10)
    print("screenshots in %s" % os.path.abspath(args.out))
    if failures:
        print("%d failed: %s" % (len(failures), ", ".join(failures)))
        sys.exit(1)


if __name__ == "__main__":
    main()
