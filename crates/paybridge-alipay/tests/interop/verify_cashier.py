#!/usr/bin/env python3
"""Checks a cashier order paybridge signed (alipay.trade.page.pay / wap.pay / app.pay) the way
Alipay's documentation says to sign a request, with tools independent of paybridge: the order
read by Python's urllib (a redirect URL or an app order string) or html.parser (a
self-submitting form, its action's query included); every parameter but `sign` — `sign_type`
included — with a non-empty value sorted by name and joined `name=value&...` (values raw); the
signature checked by `openssl dgst -sha256 -verify`.

usage: verify_cashier.py url|order|form INPUT_FILE PUBLIC_KEY_PEM WORK_DIR   (exit 0 iff it verifies)"""
import base64, os, subprocess, sys
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

kind, input_file, public_key, work = sys.argv[1:5]
text = open(input_file, encoding="utf-8").read()


class Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.method, self.params = None, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action, self.method = attrs.get("action"), attrs.get("method")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.params.append((attrs["name"], attrs.get("value", "")))


if kind == "url":
    params = parse_qsl(urlsplit(text).query, keep_blank_values=True)
elif kind == "order":
    params = parse_qsl(text, keep_blank_values=True)
    if params[-1][0] != "sign":
        sys.exit("the order string does not end with its sign")
elif kind == "form":
    form = Form()
    form.feed(text)
    if form.method != "post":
        sys.exit("the form does not post")
    params = parse_qsl(urlsplit(form.action).query, keep_blank_values=True) + form.params
else:
    sys.exit(f"unknown kind {kind}")

names = [k for k, _ in params]
if len(names) != len(set(names)):
    sys.exit("a parameter is named twice")
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
