#!/usr/bin/env python3
"""Refund throughput of the unmodified `wechatpayv3` SDK (PyPI) against the paybridge sandbox.

Refunds 1 fen from every payment in PAYMENTS_FILE with THREADS Python threads sharing one
client, then prints one JSON line:
  {"sdk", "version", "threads", "refunds", "ok", "seconds", "per_second"}
"seconds" covers the refunds only (client, keys and CSV are ready before the clock starts).
Exit 0 only if every refund was accepted: 2xx, signature verified by the SDK (it raises
otherwise), our out_refund_no echoed and a SUCCESS/PROCESSING status.

Set-up is the interop driver's (crates/paybridge-cli/tests/sdk/wechatpayv3_driver.py):
  WECHATPAY_BASE_URL, WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_MERCHANT_SERIAL_NO,
  WECHATPAY_PRIVATE_KEY_FILE, WECHATPAY_APIV3_KEY_FILE (or WECHATPAY_APIV3_KEY),
  WECHATPAY_PUBLIC_KEY_FILE + WECHATPAY_PUBLIC_KEY_ID (public-key mode) or WECHATPAY_CERT_DIR.
Bench inputs:
  PAYMENTS_FILE  CSV with header payment,order_ref,total_minor,currency (payment = transaction_id)
  THREADS        worker threads (default 1)
  RUN_TAG        refund ids are <RUN_TAG>-<row index>; must be fresh per run (default "sdk")
  LIMIT          refund only the first LIMIT rows (default: all)

Cost note: the SDK sends each request with module-level `requests.post`, i.e. a new
requests.Session and a new TCP connection per refund; it has no option to share a session, so
that connect cost is part of what this measures. The private key is parsed once, at start-up.
"""
import json

from rate_common import complain, env, run
from wechatpayv3 import WeChatPay, WeChatPayType, __version__
import wechatpayv3.core

# Where the refund notification goes (the sandbox signs and posts one per refund, as it does for
# paybridge's batch), so both clients cost the provider the same work.
NOTIFY_URL = env("WECHATPAY_NOTIFY_URL")
BASE_URL = env("WECHATPAY_BASE_URL", "http://127.0.0.1:8700").rstrip("/")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class SandboxCore(wechatpayv3.core.Core):
    """The SDK has no base-URL option, and in certificate mode Core.__init__ downloads
    /v3/certificates from the fixed production gateway: point it at BASE_URL first."""

    def _init_certificates(self):
        self._gate_way = BASE_URL
        super()._init_certificates()


def client():
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
        cert_dir=env("WECHATPAY_CERT_DIR"),
        public_key=read(public_key_file) if public_key_file else None,
        public_key_id=env("WECHATPAY_PUBLIC_KEY_ID") if public_key_file else None,
        timeout=(5, 15),
    )
    wxpay._core._gate_way = BASE_URL  # the one line that points the SDK at the sandbox
    return wxpay


def refund_one(wxpay, out_refund_no, row):
    try:
        code, message = wxpay.refund(
            out_refund_no=out_refund_no,
            amount={"refund": 1, "total": int(row["total_minor"]), "currency": row["currency"]},
            transaction_id=row["payment"],
            notify_url=NOTIFY_URL,
        )
        answer = json.loads(message) if isinstance(message, str) else {}
    except Exception as e:  # raised by the SDK on a bad signature, or by requests
        complain(f"{out_refund_no}: {type(e).__name__}: {e}")
        return False
    ok = (200 <= code < 300 and answer.get("out_refund_no") == out_refund_no
          and answer.get("status") in ("SUCCESS", "PROCESSING"))
    if not ok:
        complain(f"{out_refund_no}: HTTP {code}: {message!r}")
    return ok


def main():
    wxpay = client()
    run("wechatpayv3", __version__, lambda refund_id, row: refund_one(wxpay, refund_id, row))


if __name__ == "__main__":
    main()
