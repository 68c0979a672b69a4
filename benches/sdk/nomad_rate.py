#!/usr/bin/env python3
"""Refund throughput of the unmodified `nomad-broker-cli` SDK (PyPI; an OpenAPI-generated Python
library despite its name) against the paybridge sandbox, called in-process.

Refunds 1 fen from every payment in PAYMENTS_FILE with THREADS Python threads sharing one
ApiClient, then prints one JSON line:
  {"sdk", "version", "threads", "refunds", "ok", "seconds", "per_second"}
"seconds" covers the refunds only (client, API key and CSV are ready before the clock starts).
Exit 0 only if every refund was accepted: 2xx (the SDK raises ApiException otherwise), a body
that passes the SDK's strict typed deserialisation, code 200 and our refund id echoed.
Nomad answers carry no signature, so there is none to verify.

Set-up is the interop driver's (crates/paybridge-cli/tests/sdk/nomad_driver.py):
  NOMAD_HOST, NOMAD_MERCHANT, NOMAD_API_KEY_FILE (or NOMAD_API_KEY),
  NOMAD_DISCARD_UNKNOWN_KEYS ("1" lets the SDK drop unknown answer fields; default strict).
Bench inputs:
  PAYMENTS_FILE  CSV with header payment,order_ref,total_minor,currency (refunds go by order_ref)
  THREADS        worker threads (default 1)
  RUN_TAG        refund ids are <RUN_TAG>-<row index>; must be fresh per run (default "sdk")
  LIMIT          refund only the first LIMIT rows (default: all)

Cost note: the SDK sends through one urllib3 PoolManager, so connections are kept alive and
reused; its pool keeps cpu_count*5 connections per host, raised here to THREADS where that is
more, so that no worker has to open (and then drop) a connection of its own.
"""
from importlib.metadata import version

import nomad_broker_cli
from nomad_broker_cli.api.refund_api import RefundApi
from nomad_broker_cli.model.refund_request import RefundRequest
from rate_common import complain, env, run


def refund_one(api, merchant, refund_ref, row):
    try:
        r = api.create_refund(merchant, refund_request=RefundRequest(
            order_ref=row["order_ref"],
            refund_order_ref=refund_ref,
            refund_amount=1.0,  # the API takes minor units, typed as number
            total_amount=float(row["total_minor"]),
            currency=row["currency"],
            # The sandbox posts a notification per refund, as it does for paybridge's batch.
            notify_url=env("NOMAD_NOTIFY_URL"),
        ))
    except Exception as e:  # ApiException (non-2xx) or the SDK's type/value errors on the answer
        complain(f"{refund_ref}: {type(e).__name__}: {e}")
        return False
    ok = r.get("code") == 200 and r.get("refund_order_ref") == refund_ref
    if not ok:
        complain(f"{refund_ref}: code {r.get('code')}: {r.get('message')}")
    return ok


def main():
    threads = int(env("THREADS", "1"))
    api_key = env("NOMAD_API_KEY") or open(env("NOMAD_API_KEY_FILE")).read().strip()
    config = nomad_broker_cli.Configuration(
        host=env("NOMAD_HOST"),  # the base-URL option
        api_key={"authorization": api_key},
        discard_unknown_keys=env("NOMAD_DISCARD_UNKNOWN_KEYS") == "1",
    )
    config.connection_pool_maxsize = max(threads, config.connection_pool_maxsize)
    merchant = env("NOMAD_MERCHANT")
    with nomad_broker_cli.ApiClient(config) as client:
        api = RefundApi(client)
        run("nomad-broker-cli", version("nomad_broker_cli"),
            lambda refund_id, row: refund_one(api, merchant, refund_id, row))


if __name__ == "__main__":
    main()
