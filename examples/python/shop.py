"""A small shop's Paytomat integration, as a merchant writes it: create a transaction for an
order, receive Paytomat's postback on its own endpoint, and believe only what the API says."""

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PaytomatError(Exception):
    pass


class Paytomat:
    """Paytomat's API, configured the way its document writes it:
    https://username:password@app.paytomat.com/api/v1"""

    def __init__(self, api_url):
        parts = urllib.parse.urlsplit(api_url)
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        credentials = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password)}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def _call(self, method, path, body=None, query=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", self.authorization)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise PaytomatError(json.load(error).get("error", f"HTTP {error.code}")) from None

    def create_transaction(self, ref, amount_usd, callback_url):
        return self._call("POST", "/create_transaction", {
            "ref": ref, "currency_in": "USD", "currency_out": "BTC", "amount_in": amount_usd,
            "callback_url": callback_url,
        })

    def transaction(self, transaction_id):
        return self._call("GET", "/transaction", query={"id": transaction_id})["transaction"]


class Shop:
    """Orders and what the customer is told about them."""

    def __init__(self, paytomat):
        self.paytomat = paytomat
        self.orders = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def postback_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/paytomat/postback"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def checkout(self, order_id, amount_usd):
        transaction = self.paytomat.create_transaction(order_id, amount_usd, self.postback_url)
        with self.lock:
            self.orders[order_id] = {"transaction": transaction["id"], "status": "awaiting payment"}
        return transaction

    def status(self, order_id):
        with self.lock:
            return self.orders[order_id]["status"]

    def on_postback(self, payload):
        """A postback says which transaction changed; its status is read back from the API."""
        transaction = self.paytomat.transaction(payload["tx_id"])
        status = {"success": "paid", "failure": "payment failed", "timeout": "expired",
                  "cancelled": "cancelled", "chargeback": "charged back"}.get(transaction["status"])
        with self.lock:
            for order in self.orders.values():
                if order["transaction"] == transaction["id"] and status:
                    order["status"] = status

    def _handler(shop):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/paytomat/postback":
                    self.send_response(404)
                else:
                    shop.on_postback(json.loads(body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
