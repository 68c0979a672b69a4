#!/usr/bin/env node
// Drive the unmodified `alipay-sdk` (npm, Alipay's official Node SDK) against an Alipay look-alike.
//
// Steps: create a trade (alipay.trade.precreate) and query it (alipay.trade.query: a trade the
// buyer has not scanned does not exist yet, ACQ.TRADE_NOT_EXIST), have the sandbox's customer pay it
// and query it again (TRADE_SUCCESS) and verify its notification, query a paid trade, refund
// part of it (alipay.trade.refund), query that refund
// (alipay.trade.fastpay.refund.query), and (optionally) receive the async notification and verify
// it with checkNotifySignV2. One JSON line per step; exit 0 only if every reply passed the SDK's own
// signature check (exec(..., { validateSign: true }) throws otherwise) and had code 10000.
//
// Environment:
//   ALIPAY_GATEWAY            full gateway URL, e.g. http://127.0.0.1:8700/gateway.do (any scheme/host/path)
//   ALIPAY_APP_ID             app id, e.g. 2021000000000001
//   ALIPAY_PRIVATE_KEY_FILE   app private key, PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY")
//   -- public-key mode:
//   ALIPAY_PUBLIC_KEY_FILE    Alipay public key, PEM
//   -- or certificate mode (all three):
//   ALIPAY_APP_CERT_FILE, ALIPAY_PUBLIC_CERT_FILE, ALIPAY_ROOT_CERT_FILE
//   ALIPAY_TRADE_NO or ALIPAY_OUT_TRADE_NO   the payment to refund
//   ALIPAY_REFUND_AMOUNT      yuan, e.g. "3.00" (default "0.01")
//   ALIPAY_OUT_REQUEST_NO     refund id (default sdk-<unix time>)
//   ALIPAY_NOTIFY_PORT        optional: listen on 127.0.0.1:PORT for notifications (sent as notify_url)
//   ALIPAY_CUSTOMER_URL       optional: the sandbox's base URL; its customer then pays the precreated
//                             trade (POST /_sandbox/customer), which the SDK queries as TRADE_SUCCESS
//                             and whose trade_status_sync notification it verifies
//   ALIPAY_NOTIFY_TIMEOUT     seconds to wait for it (default 10)
//   TZ                        the SDK writes `timestamp` in local time; Alipay reads it as Asia/Shanghai,
//                             so this script sets TZ=Asia/Shanghai unless TZ is already set
process.env.TZ = process.env.TZ || 'Asia/Shanghai';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const sdkPath = require.resolve('alipay-sdk', { paths: [path.join(__dirname, 'node'), __dirname] });
const { AlipaySdk } = require(sdkPath);
const VERSION = require(path.join(path.dirname(sdkPath), '..', '..', 'package.json')).version;

const env = process.env;
const read = (file) => fs.readFileSync(file, 'ascii');

function step(name, ok, fields = {}) {
  console.log(JSON.stringify({ sdk: 'alipay-sdk', version: VERSION, step: name, ok, ...fields }));
  if (!ok) process.exit(1);
}

function client() {
  const privateKey = read(env.ALIPAY_PRIVATE_KEY_FILE);
  const config = {
    appId: env.ALIPAY_APP_ID,
    privateKey,
    keyType: privateKey.includes('BEGIN RSA PRIVATE KEY') ? 'PKCS1' : 'PKCS8',
    signType: 'RSA2',
    gateway: env.ALIPAY_GATEWAY, // the base-URL option of exec(); default https://openapi.alipay.com/gateway.do
    timeout: 15000,
  };
  if (env.ALIPAY_APP_CERT_FILE) {
    config.appCertPath = env.ALIPAY_APP_CERT_FILE;
    config.alipayPublicCertPath = env.ALIPAY_PUBLIC_CERT_FILE;
    config.alipayRootCertPath = env.ALIPAY_ROOT_CERT_FILE;
  } else {
    config.alipayPublicKey = read(env.ALIPAY_PUBLIC_KEY_FILE);
  }
  return new AlipaySdk(config);
}

function listen(port) {
  const got = [];
  let wake = () => {};
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      res.end('success'); // what Alipay takes as acknowledged
      got.push(Object.fromEntries(new URLSearchParams(body)));
      wake();
    });
  });
  server.listen(port, '127.0.0.1');
  // The first notification `wanted` accepts, or null after the timeout.
  const waitFor = async (wanted, seconds) => {
    const deadline = Date.now() + 1000 * seconds;
    for (let seen = 0; ;) {
      while (seen < got.length) {
        const post = got[seen++];
        if (wanted(post)) return post;
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((r) => { wake = r; setTimeout(r, left); });
    }
  };
  return { server, waitFor };
}

// The sandbox's customer pays the order (POST /_sandbox/customer).
async function customerPays(order) {
  const res = await fetch(`${env.ALIPAY_CUSTOMER_URL.replace(/\/$/, '')}/_sandbox/customer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'alipay', order_ref: order, action: 'pay' }),
  });
  return { status: res.status, body: await res.json() };
}

async function main() {
  const port = Number(env.ALIPAY_NOTIFY_PORT || 0);
  const listener = port ? listen(port) : null;
  let sdk;
  try {
    sdk = client();
  } catch (e) {
    step('init', false, { error: e.message });
  }
  step('init', true, { gateway: sdk.config.gateway, mode: env.ALIPAY_APP_CERT_FILE ? 'certificate' : 'public-key', tz: process.env.TZ });

  const newOrder = env.ALIPAY_NEW_OUT_TRADE_NO || `sdk-order-${Math.floor(Date.now() / 1000)}`;
  let c;
  try {
    const create = { bizContent: { outTradeNo: newOrder, totalAmount: '12.00', subject: 'sdk driver' } };
    if (port) create.notifyUrl = `http://127.0.0.1:${port}/alipay/notify`;
    c = await sdk.exec('alipay.trade.precreate', create, { validateSign: true });
  } catch (e) {
    step('create_payment', false, { error: e.message, raw: e.responseDataRaw });
  }
  step('create_payment', c.code === '10000' && String(c.qrCode || '').startsWith('https://'), { code: c.code, outTradeNo: c.outTradeNo, qrCode: c.qrCode });
  try {
    c = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo: newOrder } }, { validateSign: true });
  } catch (e) {
    step('query_payment', false, { error: e.message, raw: e.responseDataRaw });
  }
  step('query_payment', c.subCode === 'ACQ.TRADE_NOT_EXIST', { code: c.code, subCode: c.subCode, note: 'not scanned yet' });
  if (env.ALIPAY_CUSTOMER_URL) {
    const paid = await customerPays(newOrder);
    step('customer_pays', paid.status === 200 && paid.body.paid === true, { status: paid.status });
    try {
      c = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo: newOrder } }, { validateSign: true });
    } catch (e) {
      step('query_paid_by_customer', false, { error: e.message, raw: e.responseDataRaw });
    }
    step('query_paid_by_customer', c.code === '10000' && c.tradeStatus === 'TRADE_SUCCESS' && c.totalAmount === '12.00', { code: c.code, tradeStatus: c.tradeStatus, tradeNo: c.tradeNo });
    if (listener) {
      const post = await listener.waitFor((p) => p.out_trade_no === newOrder && !p.out_biz_no, Number(env.ALIPAY_NOTIFY_TIMEOUT || 10));
      step('payment_notification', !!post && sdk.checkNotifySignV2(post) && post.trade_status === 'TRADE_SUCCESS' && post.total_amount === '12.00', {
        notify_type: post && post.notify_type, trade_status: post && post.trade_status, out_trade_no: post && post.out_trade_no,
      });
    }
  }

  const ids = env.ALIPAY_TRADE_NO ? { tradeNo: env.ALIPAY_TRADE_NO } : { outTradeNo: env.ALIPAY_OUT_TRADE_NO };
  try {
    c = await sdk.exec('alipay.trade.query', { bizContent: ids }, { validateSign: true });
  } catch (e) {
    step('query_paid_payment', false, { error: e.message, raw: e.responseDataRaw });
  }
  step('query_paid_payment', c.code === '10000' && c.tradeStatus === 'TRADE_SUCCESS', { code: c.code, tradeStatus: c.tradeStatus, totalAmount: c.totalAmount });
  const outRequestNo = env.ALIPAY_OUT_REQUEST_NO || `sdk-${Math.floor(Date.now() / 1000)}`;
  const refundAmount = env.ALIPAY_REFUND_AMOUNT || '0.01';
  const params = { bizContent: { ...ids, refundAmount, outRequestNo, refundReason: 'sdk driver partial refund' } };
  if (port) params.notifyUrl = `http://127.0.0.1:${port}/alipay/notify`;

  let r;
  try {
    r = await sdk.exec('alipay.trade.refund', params, { validateSign: true });
  } catch (e) {
    step('refund', false, { error: e.message, raw: e.responseDataRaw });
  }
  step('refund', r.code === '10000', {
    code: r.code, msg: r.msg, subCode: r.subCode, tradeNo: r.tradeNo, refundFee: r.refundFee, fundChange: r.fundChange, outRequestNo,
  });

  try {
    r = await sdk.exec('alipay.trade.fastpay.refund.query', { bizContent: { ...ids, outRequestNo } }, { validateSign: true });
  } catch (e) {
    step('query_refund', false, { error: e.message, raw: e.responseDataRaw });
  }
  step('query_refund', r.code === '10000' && r.outRequestNo === outRequestNo, {
    code: r.code, msg: r.msg, subCode: r.subCode, refundStatus: r.refundStatus, refundAmount: r.refundAmount, outRequestNo: r.outRequestNo,
  });

  if (listener) {
    const post = await listener.waitFor((p) => p.out_biz_no === outRequestNo, Number(env.ALIPAY_NOTIFY_TIMEOUT || 10));
    listener.server.close();
    if (!post) step('notification', false, { error: 'no notification arrived' });
    // V2: verifies over the form-decoded values as they are (no second decodeURIComponent)
    step('notification', sdk.checkNotifySignV2(post) && post.out_biz_no === outRequestNo, {
      notify_type: post.notify_type, trade_status: post.trade_status, out_biz_no: post.out_biz_no, refund_fee: post.refund_fee,
    });
  }
}

main().catch((e) => step('unexpected', false, { error: e.stack }));
