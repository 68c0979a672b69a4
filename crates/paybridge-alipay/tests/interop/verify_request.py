#!/usr/bin/env python3
"""Checks an Alipay request form the way Alipay does, with tools independent of paybridge:
the form parsed by Python's urllib, every parameter but `sign` with a non-empty value sorted by
name and joined `name=value&...` (values raw), and the signature checked by
`openssl dgst -sha256 -verify`.

usage: verify_request.py FORM_FILE QUERY PUBLIC_KEY_PEM WORK_DIR   (exit 0 iff it verifies)"""
import base64, os, subprocess, sys
from urllib.parse import parse_qsl

form_file, query, public_key, work = sys.argv[1:5]
params = parse_qsl(open(form_file, encoding="utf-8").read(), keep_blank_values=True)
params += parse_qsl(query, keep_blank_values=True)
sign = dict(params)["sign"]
content = "&".join(f"{k}={v}" for k, v in sorted(
    ((k, v) for k, v in params if k != "sign" and v != ""), key=lambda kv: kv[0].encode()))
with open(os.path.join(work, "content"), "wb") as f:
    f.write(content.encode("utf-8"))
with open(os.path.join(work, "sig"), "wb") as f:
    f.write(base64.b64decode(sign))
out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", public_key, "-signature",
                      os.path.join(work, "sig"), os.path.join(work, "content")],
                     capture_output=True, text=True)
print(out.stdout.strip(), out.stderr.strip())
sys.exit(0 if "Verified OK" in out.stdout else 1)
