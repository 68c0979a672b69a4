#!/usr/bin/env python3
"""Builds a WeChat Pay refund notification the way WeChat Pay does, with tools independent of
paybridge: the resource sealed with AES-256-GCM by Python's `cryptography`, the body signed
SHA256withRSA by the `openssl` command over TIMESTAMP\\nNONCE\\nBODY\\n.

usage: make_notification.py PLATFORM_KEY_PEM APIV3_KEY TIMESTAMP SERIAL OUT_DIR

Writes OUT_DIR/{good,tampered_body,tampered_ciphertext}.{body,headers.json}."""
import base64, json, os, subprocess, sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key_pem, apiv3_key, timestamp, serial, out = sys.argv[1:6]

plaintext = json.dumps({
    "mchid": "1900000100",
    "transaction_id": "1008450740201411110005820873",
    "out_trade_no": "20150806125346",
    "refund_id": "50200207182018070300011301001",
    "out_refund_no": "7752501201407033233368018",
    "refund_status": "SUCCESS",
    "success_time": "2018-06-08T10:34:56+08:00",
    "user_received_account": "招商银行信用卡0403",
    "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999},
}, ensure_ascii=False, separators=(",", ":")).encode()


def envelope(ciphertext: bytes, nonce: str) -> bytes:
    # Written the way WeChat Pay's servers write it: keys in their order, slashes unescaped.
    return json.dumps({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "REFUND.SUCCESS",
        "summary": "退款成功",
        "resource": {
            "original_type": "refund",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": "refund",
            "nonce": nonce,
        },
    }, ensure_ascii=False, separators=(",", ":")).encode()


def sign(message: bytes) -> str:
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem], input=message,
                         capture_output=True, check=True)
    return base64.b64encode(out.stdout).decode()


def write(name: str, body: bytes, signed_body: bytes) -> None:
    nonce = "593BEC0C930BF1AFEB40B4A08C8FB242"
    signature = sign(timestamp.encode() + b"\n" + nonce.encode() + b"\n" + signed_body + b"\n")
    with open(os.path.join(out, name + ".body"), "wb") as f:
        f.write(body)
    with open(os.path.join(out, name + ".headers.json"), "w") as f:
        json.dump({"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                   "Wechatpay-Signature": signature, "Wechatpay-Serial": serial}, f)


nonce = "fdasflkja484"
sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext, b"refund")
good = envelope(sealed, nonce)
write("good", good, good)
# The signature over the body as sent, then one byte of the body changed in transit.
tampered = bytearray(good)
tampered[good.index(b"REFUND.SUCCESS")] = ord("X")
write("tampered_body", bytes(tampered), good)
# A ciphertext with one bit flipped, honestly signed: the signature holds, the tag does not.
flipped = bytearray(sealed)
flipped[3] ^= 1
bad = envelope(bytes(flipped), nonce)
write("tampered_ciphertext", bad, bad)
