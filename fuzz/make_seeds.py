#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ from the golden vectors and published samples.
Run from the repository root; signatures use the openssl command and the harness's test keys."""
import hashlib, json, os, pathlib, subprocess, base64

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
platform_key = root / "crates/paybridge-bluepay/tests/data/platform.pem"
sfp_key = b"fuzz-harness-sign-key-0123456789"

def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())

for f in (root / "crates/paybridge-sign/tests/data/rfc8785/input").iterdir():
    put("canonicalize", f.name, f.read_bytes())
    put("canonicalize_roundtrip", f.name, f.read_bytes())
for name, text in [("dup", '{"a":1,"a":2}'), ("surrogate", '"\\ud800"'), ("deep", "[" * 130), ("big", "[1e400, 9007199254740993]"), ("php", '{"url":"https:\\/\\/x","m":"\\u8ba2"}')]:
    put("canonicalize", name, text)
    put("canonicalize_roundtrip", name, text)

statuses = {200: b"\x00", 401: b"\x03", 422: b"\x05", 500: b"\x06", 502: b"\x07"}
bp = [
    (200, '{"code":10000,"message":"Success","data":{"mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","refundCreateTime":"2024-07-31 16:37:40","refundAmount":10000,"refundStatus":"PENDING"}}'),
    (200, '{"code":21407,"message":"duplicate mchRefundOrderId"}'),
    (200, '{"code":10000,"message":"Success","data":[{"mchRefundOrderId":"r1","refundAmount":1,"refundStatus":"COMPLETE","failedCode":-10004}]}'),
    (200, '{"code":10000,"data":{"balance":"10000.00"}}'),
    (502, "<html>502 Bad Gateway</html>"),
]
for i, (status, body) in enumerate(bp):
    put("bluepay_response", f"seed{i}", statuses[status] + body.encode())

def rsa_sign(message: bytes) -> str:
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(platform_key)], input=message, capture_output=True, check=True)
    return base64.b64encode(out.stdout).decode()

events = [
    '{"eventName":"payment.refund.success","mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","originalTransactionId":"CU518563189147832780","refundAmount":10000,"feeRefunded":0,"refundStatus":"COMPLETE","refundCreateTime":"2024-07-31 16:37:40","refundReturnTime":"2024-07-31 16:38:02","refundReason":"testRefund"}',
    '{"eventName":"qrcode.payment.success","mchOrderId":"o1","transactionId":"T1","amount":100,"transactionStatus":"COMPLETED"}',
    '{"eventName":"order.payment.failed","mchOrderId":"o2","amount":5,"transactionStatus":"FAILED"}',
    '{"eventName":"disbursement.success","mchOrderId":"o3","amount":7,"failedCode":"-10001"}',
]
for i, param in enumerate(events):
    put("bluepay_notification", f"signed{i}", json.dumps({"param": param, "sign": rsa_sign(param.encode()), "appId": "x"}))
    put("bluepay_notification", f"param{i}", param)
put("bluepay_notification", "unsigned", json.dumps({"param": events[0]}))

nm = [
    (200, '{"code":200,"message":"success","refundId":"refund_id_payment_company","orderRef":"test20220125001","refundOrderRef":"r001test20220125001","status":"SUCCESS","refundAmount":10,"totalAmount":10.0,"currency":"CNY","createTime":"2021-11-02T17:03:38+08:00"}'),
    (401, '{"code":200,"message":"success"}'),
    (422, '{"field":"refundAmount","msg":"must be positive"}'),
    (500, '{"code":200,"message":"success","errors":"Something wrong when making the service."}'),
    (200, '{"Timing":"2021-11-02T17:03:38+08:00","tradeState":"SUCCESS","actualAmount":1e2}'),
    (200, ""),
]
for i, (status, body) in enumerate(nm):
    put("nomad_response", f"seed{i}", statuses[status] + body.encode())

def sfp_envelope(response: bytes) -> bytes:
    sig = hashlib.sha256(response + sfp_key).hexdigest()
    return b'{"response":' + response + b',"signature":"' + sig.encode() + b'"}'

php = rb'{"header":{"partnerNo":"10001","respTime":"2018-07-25T18:06:12+08:00","signType":"SHA256","version":"1.0","reqMsgId":"213ca19e"},"body":{"code":30,"msg":"\u8ba2\u5355\u4e0d\u5b58\u5728","u":"https:\/\/x"}}'
ok = b'{"header":{"partnerNo":"10001","respTime":"2018-07-25T18:06:12+08:00"},"body":{"code":1,"msg":"success","orderAmount":100,"status":1,"currency":"JPY"}}'
pay = b'{"header":{"partnerNo":"10001"},"body":{"code":1,"msg":"success","orderNo":"O1","partnerOrderNo":"p1","orderAmount":100,"wallet":"Alipay","status":3,"currency":"HKD"}}'
for i, r in enumerate([php, ok, pay]):
    put("scanforpay_response", f"seed{i}", b"\x00" + sfp_envelope(r))
    put("scanforpay_notification", f"seed{i}", sfp_envelope(r))
put("scanforpay_response", "unsigned", b"\x00" + b'{"response":' + ok + b"}")

for i, text in enumerate(["12.34", "-0.01", "1.0", "12.345", "92233720368547758.07", "92233720368547758.08", "", ".5", "1e3", "-92233720368547758.08"]):
    put("money_parse", f"seed{i}", text)

for f in (root / "crates/paybridge-sign/tests/data/keys").iterdir():
    if f.name != "README":
        put("key_pem", f.name, f.read_bytes())

put("csv_row", "good", "refund_id,amount,currency,payment\nr1,12.34,THB,CU1\nr2,1.00,THB,CU1\n")
put("csv_row", "reordered", "currency,payment,refund_id,amount,total,order_ref\nCNY,,r1,1.00,10.00,o1\n")
put("csv_row", "bad", 'refund_id,amount,currency\nr1,1.005,THB\n,1,THB\n"unterminated,1,THB\n')
print("seeds written to", corpus)

# WeChat Pay: the harness signs (and, for notifications, encrypts) what the mode byte asks for.
wx_refund = '{"refund_id":"50000000382019052709732678859","out_refund_no":"1217752501201407033233368018","transaction_id":"1217752501201407033233368018","out_trade_no":"1217752501201407033233368018","channel":"ORIGINAL","user_received_account":"招商银行信用卡0403","success_time":"2020-12-01T16:18:12+08:00","create_time":"2020-12-01T16:18:12+08:00","status":"SUCCESS","funds_account":"UNSETTLED","amount":{"total":100,"refund":100,"payer_total":90,"payer_refund":90,"settlement_refund":100,"settlement_total":100,"discount_refund":10,"currency":"CNY"}}'
put("wechatpay_response", "signed_ok", b"\x00\x01" + wx_refund.encode())
put("wechatpay_response", "signed_system_error", b"\x06\x01" + '{"code":"SYSTEM_ERROR","message":"系统错误"}'.encode())
put("wechatpay_response", "unsigned_error", b"\x03\x00\n\n" + b'{"code":"SIGN_ERROR","message":"bad"}')
put("wechatpay_response", "forged", b"\x00\x00Wechatpay-Timestamp: 1796300000\nWechatpay-Nonce: n\nWechatpay-Signature: AAAA\nWechatpay-Serial: PUB_KEY_ID_0114232134912410000000000000\n\n" + wx_refund.encode())
wx_plain = '{"mchid":"1900000100","transaction_id":"1008450740201411110005820873","out_trade_no":"20150806125346","refund_id":"50200207182018070300011301001","out_refund_no":"7752501201407033233368018","refund_status":"SUCCESS","success_time":"2018-06-08T10:34:56+08:00","user_received_account":"招商银行信用卡0403","amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}}'
put("wechatpay_notification", "plaintext", b"\x02" + wx_plain.encode())
put("wechatpay_notification", "envelope", b"\x01" + b'{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource","event_type":"REFUND.SUCCESS","summary":"\xe9\x80\x80\xe6\xac\xbe\xe6\x88\x90\xe5\x8a\x9f","resource":{"original_type":"refund","algorithm":"AEAD_AES_256_GCM","ciphertext":"ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=","associated_data":"refund","nonce":"uluk4a9R25RW"}}')
put("wechatpay_notification", "headers", b"\x00Wechatpay-Timestamp: 1796300000\nWechatpay-Nonce: n\nWechatpay-Signature: WECHATPAY/SIGNTEST/abc\nWechatpay-Serial: PUB_KEY_ID_0114232134912410000000000000\n\n{}")

# Alipay: the harness signs the reply value it finds (mode bit 0), or the notification form.
ali_ok = '{"alipay_trade_refund_response":{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"88.88","store_name":"望湘园联洋店 \\/ Lianyang","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248"},"sign":"ERITJKEIJKJHKKKKKKKHJEREEEEEEEEEEE"}'
put("alipay_response", "signed_ok", b"\x00\x01" + ali_ok.encode())
put("alipay_response", "as_received", b"\x00\x00" + ali_ok.encode())
put("alipay_response", "business_failure", b"\x00\x01" + '{"alipay_trade_refund_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"},"sign":"x"}'.encode())
put("alipay_response", "error_response", b"\x00\x00" + b'{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}')
put("alipay_response", "braces_in_strings", b"\x00\x01" + b'{"sign":"a}b","alipay_trade_refund_response":{"code":"10000","msg":"}\\"{\\\\","n":[1,{"a":"]"}],"fund_change":"Y"}}')
put("alipay_response", "gateway_502", b"\x07\x00<html>502 Bad Gateway</html>")
ali_form = "gmt_create=2015-11-27+15%3A45%3A58&charset=utf-8&seller_email=zhuzhanghu%40alitest.com&subject=%E6%B5%8B%E8%AF%95&notify_time=2015-11-27+15%3A46%3A00&notify_type=trade_status_sync&notify_id=ac05099524730693a8b330c5ecf72da9786&app_id=2015102700040153&trade_no=2013112011001004330000121536&out_trade_no=6823789339978248&out_biz_no=HZRF001&trade_status=TRADE_SUCCESS&total_amount=88.88&refund_fee=10.00&gmt_refund=2015-11-27+15%3A46%3A00.123&sign_type=RSA2&sign=x"
put("alipay_notification", "signed", b"\x01" + ali_form.encode())
put("alipay_notification", "as_received", b"\x00" + ali_form.encode())
put("alipay_notification", "bad_escape", b"\x01a=%G1&b=%FF")
