#!/usr/bin/env python3
"""Drive the unmodified `wechatpayv3` SDK (PyPI) against a WeChat Pay v3 look-alike.

Steps: create a Native (QR) payment and query it (waiting for the customer: NOTPAY), have the
sandbox's customer pay it and query it again (SUCCESS) and verify its payment notification, query a
paid payment, refund part of it, query that refund, and (optionally) receive the refund
notification and verify/decrypt it with the SDK. One JSON line per step; exit 0 only if every
answer passed the SDK's own signature check (it raises on a bad signature) and was 2xx.

Environment (all strings):
  WECHATPAY_BASE_URL          host-only base, e.g. http://127.0.0.1:8700  (the SDK appends /v3/...;
                              a path prefix is sent but NOT signed: the Authorization covers /v3/... only)
  WECHATPAY_MCHID             merchant id, e.g. 1900000109
  WECHATPAY_APPID             app id (only sent by pay()); default wx0000000000000000
  WECHATPAY_MERCHANT_SERIAL_NO  merchant API certificate serial (Authorization serial_no)
  WECHATPAY_PRIVATE_KEY_FILE  merchant private key, PEM (PKCS#8 "BEGIN PRIVATE KEY")
  WECHATPAY_APIV3_KEY_FILE    file holding the 32-byte APIv3 key (or WECHATPAY_APIV3_KEY)
  -- public-key mode (both set):
  WECHATPAY_PUBLIC_KEY_FILE   WeChat Pay platform public key, PEM
  WECHATPAY_PUBLIC_KEY_ID     its id, e.g. PUB_KEY_ID_0112...; answers must carry it as Wechatpay-Serial
  -- else platform-certificate mode:
  WECHATPAY_CERT_DIR          dir of platform certificates (*.pem); if it holds none, the SDK
                              downloads GET {base}/v3/certificates at start-up
  WECHATPAY_TRANSACTION_ID or WECHATPAY_OUT_TRADE_NO   the payment to refund
  WECHATPAY_TOTAL             payment total, fen
  WECHATPAY_REFUND            amount to refund, fen (default: 1)
  WECHATPAY_OUT_REFUND_NO     refund id (default: sdk-<unix time>)
  WECHATPAY_NOTIFY_PORT       optional: listen on 127.0.0.1:PORT for notifications and verify them
                              with wxpay.callback(); sent as notify_url
  WECHATPAY_CUSTOMER_URL      optional: the sandbox's base URL; its customer then pays the Native
                              payment created (POST /_sandbox/customer), which the SDK queries as
                              SUCCESS and whose TRANSACTION.SUCCESS notification it verifies
  WECHATPAY_NOTIFY_TIMEOUT    seconds to wait for it (default 10)
"""
import json
import os
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

from wechatpayv3 import WeChatPay, WeChatPayType, __version__
import wechatpayv3.core

env = os.environ.get
BASE_URL = env("WECHATPAY_BASE_URL", "http://127.0.0.1:8700").rstrip("/")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def step(name, ok, **fields):
    print(json.dumps({"sdk": "wechatpayv3", "version": __version__, "step": name, "ok": ok, **fields},
                     ensure_ascii=False), flush=True)
    if not ok:
        sys.exit(1)


class SandboxCore(wechatpayv3.core.Core):
    """The SDK has no base-URL option: `_gate_way` is fixed to https://api.mch.weixin.qq.com in
    Core.__init__, which (in certificate mode) downloads /v3/certificates before returning.
    Setting the attribute just before that first call points every request at BASE_URL."""

    def _init_certificates(self):
        self._gate_way = BASE_URL
        super()._init_certificates()


def client(notify_url):
    public_key_file = env("WECHATPAY_PUBLIC_KEY_FILE")
    apiv3_key = env("WECHATPAY_APIV3_KEY") or read(env("WECHATPAY_APIV3_KEY_FILE")).strip()
    if not public_key_file:
        wechatpayv3.core.Core = SandboxCore  # WeChatPay.__init__ imports Core at call time
    wxpay = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=env("WECHATPAY_MCHID"),
        private_key=read(env("WECHATPAY_PRIVATE_KEY_FILE")),
        cert_serial_no=env("WECHATPAY_MERCHANT_SERIAL_NO"),
        appid=env("WECHATPAY_APPID", "wx0000000000000000"),
        apiv3_key=apiv3_key,
        notify_url=notify_url,
        cert_dir=env("WECHATPAY_CERT_DIR"),
        public_key=read(public_key_file) if public_key_file else None,
        public_key_id=env("WECHATPAY_PUBLIC_KEY_ID") if public_key_file else None,
        timeout=(5, 15),
    )
    wxpay._core._gate_way = BASE_URL  # the one line that points the SDK at the sandbox
    return wxpay


def notification_listener(port):
    """Every notification that arrives, in order, and a condition to wait on."""
    got = []
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with arrived:
                got.append((dict(self.headers), body))
                arrived.notify_all()
            self.send_response(204)  # WeChat Pay takes 200/204 as acknowledged
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got, arrived


def wait_for_notification(wxpay, listener, wanted, timeout):
    """The first notification the SDK verifies and decrypts (callback() returns None when it
    cannot) whose resource `wanted` accepts."""
    server, got, arrived = listener
    deadline = time.time() + timeout
    seen = 0
    with arrived:
        while True:
            while seen < len(got):
                headers, body = got[seen]
                seen += 1
                result = wxpay.callback(headers, body)
                if result and wanted(result.get("resource") or {}):
                    return result
            left = deadline - time.time()
            if left <= 0:
                return None
            arrived.wait(left)


def customer_pays(out_trade_no):
    """The sandbox's customer pays the order (POST /_sandbox/customer)."""
    request = urllib.request.Request(
        env("WECHATPAY_CUSTOMER_URL").rstrip("/") + "/_sandbox/customer",
        data=json.dumps({"provider": "wechatpay", "order_ref": out_trade_no, "action": "pay"}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, json.loads(answer.read() or b"{}")


def main():
    port = int(env("WECHATPAY_NOTIFY_PORT", "0"))
    listener = notification_listener(port) if port else None
    notify_url = f"http://127.0.0.1:{port}/wechatpay/notify" if port else None
    try:
        wxpay = client(notify_url)
    except Exception as e:  # e.g. "No wechatpay platform certificate" in certificate mode
        step("init", False, error=str(e))
    step("init", True, base_url=BASE_URL,
         mode="public-key" if env("WECHATPAY_PUBLIC_KEY_FILE") else "platform-certificate")

    out_trade_no = env("WECHATPAY_NEW_OUT_TRADE_NO") or f"sdk-order-{int(time.time())}"
    try:
        code, message = wxpay.pay(description="sdk driver payment", out_trade_no=out_trade_no,
                                  amount={"total": 1200, "currency": "CNY"},
                                  pay_type=WeChatPayType.NATIVE)
    except Exception as e:
        step("create_payment", False, error=str(e))
    answer = json.loads(message) if isinstance(message, str) else {}
    step("create_payment", code == 200 and str(answer.get("code_url", "")).startswith("weixin://"),
         http_status=code, out_trade_no=out_trade_no, code_url=answer.get("code_url"))
    try:
        code, message = wxpay.query(out_trade_no=out_trade_no)
    except Exception as e:
        step("query_payment", False, error=str(e))
    answer = json.loads(message) if isinstance(message, str) else {}
    step("query_payment", code == 200 and answer.get("trade_state") == "NOTPAY",
         http_status=code, trade_state=answer.get("trade_state"))
    if env("WECHATPAY_CUSTOMER_URL"):
        status, paid = customer_pays(out_trade_no)
        step("customer_pays", status == 200 and paid.get("paid") is True, http_status=status)
        code, message = wxpay.query(out_trade_no=out_trade_no)
        answer = json.loads(message) if isinstance(message, str) else {}
        step("query_paid_by_customer", code == 200 and answer.get("trade_state") == "SUCCESS"
             and (answer.get("amount") or {}).get("total") == 1200,
             http_status=code, trade_state=answer.get("trade_state"),
             transaction_id=answer.get("transaction_id"))
        if listener:
            result = wait_for_notification(
                wxpay, listener, lambda r: r.get("out_trade_no") == out_trade_no,
                float(env("WECHATPAY_NOTIFY_TIMEOUT", "10")))
            resource = (result or {}).get("resource") or {}
            step("payment_notification", bool(result) and result.get("event_type") == "TRANSACTION.SUCCESS"
                 and resource.get("trade_state") == "SUCCESS",
                 event_type=(result or {}).get("event_type"), trade_state=resource.get("trade_state"),
                 out_trade_no=resource.get("out_trade_no"))
    if env("WECHATPAY_TRANSACTION_ID"):
        try:
            code, message = wxpay.query(transaction_id=env("WECHATPAY_TRANSACTION_ID"))
        except Exception as e:
            step("query_paid_payment", False, error=str(e))
        answer = json.loads(message) if isinstance(message, str) else {}
        step("query_paid_payment", code == 200 and answer.get("trade_state") == "SUCCESS",
             http_status=code, trade_state=answer.get("trade_state"))

    out_refund_no = env("WECHATPAY_OUT_REFUND_NO") or f"sdk-{int(time.time())}"
    total, refund = int(env("WECHATPAY_TOTAL")), int(env("WECHATPAY_REFUND", "1"))
    try:
        code, message = wxpay.refund(
            out_refund_no=out_refund_no,
            amount={"refund": refund, "total": total, "currency": "CNY"},
            transaction_id=env("WECHATPAY_TRANSACTION_ID"),
            out_trade_no=env("WECHATPAY_OUT_TRADE_NO"),
            reason="sdk driver partial refund",
        )
    except Exception as e:  # raised by the SDK when the answer's signature does not verify
        step("refund", False, error=str(e))
    answer = json.loads(message) if isinstance(message, str) else {"raw": repr(message)}
    step("refund", 200 <= code < 300 and answer.get("out_refund_no") == out_refund_no,
         http_status=code, out_refund_no=out_refund_no, refund_id=answer.get("refund_id"),
         status=answer.get("status"), amount=answer.get("amount"), answer=None if code < 300 else answer)

    try:
        code, message = wxpay.query_refund(out_refund_no=out_refund_no)
    except Exception as e:
        step("query_refund", False, error=str(e))
    answer = json.loads(message) if isinstance(message, str) else {"raw": repr(message)}
    step("query_refund", 200 <= code < 300 and answer.get("out_refund_no") == out_refund_no,
         http_status=code, refund_id=answer.get("refund_id"), status=answer.get("status"),
         refund=(answer.get("amount") or {}).get("refund"), answer=None if code < 300 else answer)

    if listener:
        result = wait_for_notification(
            wxpay, listener, lambda r: r.get("out_refund_no") == out_refund_no,
            float(env("WECHATPAY_NOTIFY_TIMEOUT", "10")))
        listener[0].shutdown()
        resource = (result or {}).get("resource") or {}
        step("notification", bool(result) and resource.get("out_refund_no") == out_refund_no,
             event_type=(result or {}).get("event_type"), refund_status=resource.get("refund_status"),
             out_refund_no=resource.get("out_refund_no"))


if __name__ == "__main__":
    main()
