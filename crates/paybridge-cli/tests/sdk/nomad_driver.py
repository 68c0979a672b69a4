#!/usr/bin/env python3
"""Drive the unmodified `nomad-broker-cli` SDK (PyPI; despite the name, an OpenAPI-generated Python
*library*, no command line) against a Nomad broker look-alike.

Steps: create a payment (POST {host}/payment/{merchant}) and query it
(GET {host}/payment/{merchant}?order_ref=...) when NOMAD_ORDER_REF is not given; refund part of
the payment (POST {host}/refund/{merchant}), query that refund
(GET {host}/refund/{merchant}?refund_order_ref=...). One JSON line per step; exit 0 only if the SDK
accepted both answers. Nomad answers carry no signature: "accepted" means HTTP 2xx (else the SDK
raises ApiException) and a body that passes the SDK's strict typed deserialisation into
RefundResponse (wrong types, nulls in non-nullable fields, unknown enum values and *unknown keys*
raise), plus our own check that it names the refund we made.

Environment:
  NOMAD_HOST          base URL including any path prefix, e.g. http://127.0.0.1:8700/nomad
                      (the SDK's default is https://nomad.samarkand-global.cn/broker/v1)
  NOMAD_MERCHANT      merchant name (path segment), e.g. wechat.sandbox_merchant
  NOMAD_API_KEY_FILE  file holding the API key (or NOMAD_API_KEY); sent as query ?app-api-key=...
  NOMAD_ORDER_REF     the payment's merchant order number (orderRef); unset: the driver creates one
  NOMAD_TOTAL         payment total, fen
  NOMAD_REFUND        amount to refund, fen (default 1)
  NOMAD_REFUND_ORDER_REF  refund id (default sdk-<unix time>)
  NOMAD_NOTIFY_URL    optional notifyUrl to send
  NOMAD_CUSTOMER_URL  optional: the sandbox's base URL; its customer pays the payment created
                      (POST /_sandbox/customer) before it is refunded, and the SDK reads it SUCCESS
  NOMAD_DISCARD_UNKNOWN_KEYS  "1" to let the SDK drop unknown answer fields (default: strict)
"""
import json
import os
import sys
import time
import urllib.request
from importlib.metadata import version

import nomad_broker_cli
from nomad_broker_cli.api.payment_api import PaymentApi
from nomad_broker_cli.api.refund_api import RefundApi
from nomad_broker_cli.model.payment_method import PaymentMethod
from nomad_broker_cli.model.payment_request import PaymentRequest
from nomad_broker_cli.model.payment_type import PaymentType
from nomad_broker_cli.model.refund_request import RefundRequest

env = os.environ.get


def step(name, ok, **fields):
    print(json.dumps({"sdk": "nomad-broker-cli", "version": version("nomad_broker_cli"), "step": name,
                      "ok": ok, **fields}, ensure_ascii=False, default=str), flush=True)
    if not ok:
        sys.exit(1)


def summary(r):
    keys = ("code", "message", "refund_id", "refund_order_ref", "order_ref", "status",
            "refund_amount", "total_amount", "currency")
    return {k: r.get(k) for k in keys}


def main():
    api_key = env("NOMAD_API_KEY") or open(env("NOMAD_API_KEY_FILE")).read().strip()
    config = nomad_broker_cli.Configuration(
        host=env("NOMAD_HOST"),  # the base-URL option
        api_key={"authorization": api_key},
        discard_unknown_keys=env("NOMAD_DISCARD_UNKNOWN_KEYS") == "1",
    )
    merchant = env("NOMAD_MERCHANT")
    refund_ref = env("NOMAD_REFUND_ORDER_REF") or f"sdk-{int(time.time())}"
    step("init", True, host=config.host, merchant=merchant)

    with nomad_broker_cli.ApiClient(config) as client:
        order_ref = env("NOMAD_ORDER_REF")
        if not order_ref:
            order_ref = f"sdk-order-{int(time.time())}"
            payments = PaymentApi(client)
            try:
                created = payments.create_payment(merchant, payment_request=PaymentRequest(
                    payment_method=PaymentMethod("wechatpay"), payment_type=PaymentType("NATIVE"),
                    order_ref=order_ref, actual_amount=int(env("NOMAD_TOTAL")), currency="CNY",
                    description="sdk driver payment"))
            except Exception as e:
                step("create_payment", False, error=f"{type(e).__name__}: {e}")
            step("create_payment", created.get("code") == 200, order_ref=order_ref,
                 pay_message=created.get("pay_message"))
            try:
                queried = payments.query_payment(merchant, order_ref)
            except Exception as e:
                step("query_payment", False, error=f"{type(e).__name__}: {e}")
            step("query_payment", queried.get("order_ref") == order_ref, order_ref=order_ref,
                 trade_state=str(queried.get("trade_state")), amount=queried.get("actual_amount"))
            if env("NOMAD_CUSTOMER_URL"):
                # The sandbox's customer pays it (POST /_sandbox/customer); the SDK reads it paid.
                pay = urllib.request.Request(
                    env("NOMAD_CUSTOMER_URL").rstrip("/") + "/_sandbox/customer",
                    data=json.dumps({"provider": "nomad", "order_ref": order_ref,
                                     "action": "pay"}).encode(),
                    headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(pay, timeout=10) as answer:
                    step("customer_pays", answer.status == 200, http_status=answer.status)
                queried = payments.query_payment(merchant, order_ref)
                step("query_paid_by_customer", str(queried.get("trade_state")) == "SUCCESS",
                     trade_state=str(queried.get("trade_state")),
                     transaction_id=queried.get("transaction_id"))
        api = RefundApi(client)
        extra = {"notify_url": env("NOMAD_NOTIFY_URL")} if env("NOMAD_NOTIFY_URL") else {}
        request = RefundRequest(
            order_ref=order_ref,
            refund_order_ref=refund_ref,
            refund_amount=float(env("NOMAD_REFUND", "1")),
            total_amount=float(env("NOMAD_TOTAL")),
            currency="CNY",
            reason="sdk driver partial refund",
            **extra,
        )
        try:
            r = api.create_refund(merchant, refund_request=request)
        except Exception as e:  # ApiException (non-2xx) or ApiTypeError/ApiValueError/ApiAttributeError
            step("refund", False, error=f"{type(e).__name__}: {e}")
        step("refund", r.get("refund_order_ref") == refund_ref, **summary(r))

        try:
            r = api.query_refund(merchant, refund_ref)
        except Exception as e:
            step("query_refund", False, error=f"{type(e).__name__}: {e}")
        step("query_refund", r.get("refund_order_ref") == refund_ref, **summary(r))


if __name__ == "__main__":
    main()
