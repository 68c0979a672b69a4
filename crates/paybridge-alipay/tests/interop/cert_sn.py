#!/usr/bin/env python3
"""Alipay's certificate SN computed independently of paybridge: the issuer as openssl writes it
in RFC 2253, the serial in decimal, MD5 in hex — one line per certificate file given.

usage: cert_sn.py CERT_PEM..."""
import hashlib, subprocess, sys

for path in sys.argv[1:]:
    def field(option):
        out = subprocess.run(["openssl", "x509", "-noout", option, "-nameopt", "RFC2253", "-in", path],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out.split("=", 1)[1]
    issuer = field("-issuer")
    serial = int(field("-serial"), 16)
    print(hashlib.md5((issuer + str(serial)).encode("utf-8")).hexdigest())
