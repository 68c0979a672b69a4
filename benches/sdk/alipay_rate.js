#!/usr/bin/env node
// Refund throughput of the unmodified `alipay-sdk` (npm, Alipay's own Node SDK) against the
// paybridge sandbox.
//
// Refunds 0.01 yuan (alipay.trade.refund) from every payment in PAYMENTS_FILE with THREADS
// concurrent async workers sharing one client and one queue, then prints one JSON line:
//   {"sdk", "version", "threads", "refunds", "ok", "seconds", "per_second"}
// "seconds" covers the refunds only (client, keys and CSV are ready before the clock starts).
// Exit 0 only if every refund was accepted: HTTP 200, signature verified by the SDK
// (exec(..., { validateSign: true }) throws otherwise) and code 10000.
//
// Set-up is the interop driver's (crates/paybridge-cli/tests/sdk/alipay_driver.js):
//   ALIPAY_GATEWAY (full URL, e.g. http://127.0.0.1:8700/gateway.do), ALIPAY_APP_ID,
//   ALIPAY_PRIVATE_KEY_FILE, and ALIPAY_PUBLIC_KEY_FILE (public-key mode) or
//   ALIPAY_APP_CERT_FILE + ALIPAY_PUBLIC_CERT_FILE + ALIPAY_ROOT_CERT_FILE (certificate mode).
//   TZ: the SDK writes `timestamp` in local time and Alipay reads it as Asia/Shanghai, so this
//   script sets TZ=Asia/Shanghai unless TZ is already set.
// Bench inputs:
//   PAYMENTS_FILE  CSV with header payment,order_ref,total_minor,currency (payment = trade_no)
//   THREADS        concurrent workers (default 1)
//   RUN_TAG        refund ids are <RUN_TAG>-<row index>; must be fresh per run (default "sdk")
//   LIMIT          refund only the first LIMIT rows (default: all)
//
// Cost notes: requests go through urllib's shared keep-alive client (undici), so connections
// are reused across refunds. The SDK keeps the keys as PEM text, so Node parses the private key
// on every signature and the public key on every verification.
process.env.TZ = process.env.TZ || 'Asia/Shanghai';

const fs = require('node:fs');
const path = require('node:path');

// The SDK is installed once, for the interop tests; use that copy rather than a second one.
const sdkPath = require.resolve('alipay-sdk', {
  paths: [path.join(__dirname, '../../crates/paybridge-cli/tests/sdk'), __dirname],
});
const { AlipaySdk } = require(sdkPath);
const VERSION = require(path.join(path.dirname(sdkPath), '..', '..', 'package.json')).version;

const env = process.env;
const MAX_ERRORS_SHOWN = 5;
const read = (file) => fs.readFileSync(file, 'ascii');

function client() {
  const privateKey = read(env.ALIPAY_PRIVATE_KEY_FILE);
  const config = {
    appId: env.ALIPAY_APP_ID,
    privateKey,
    keyType: privateKey.includes('BEGIN RSA PRIVATE KEY') ? 'PKCS1' : 'PKCS8',
    signType: 'RSA2',
    gateway: env.ALIPAY_GATEWAY, // default https://openapi.alipay.com/gateway.do
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

// The sandbox's CSV has plain fields (no quoting), so a split is enough.
function payments() {
  const [header, ...lines] = read(env.PAYMENTS_FILE).split(/\r?\n/).filter((l) => l.trim());
  const names = header.split(',');
  const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
  return env.LIMIT ? rows.slice(0, Number(env.LIMIT)) : rows;
}

let errorsShown = 0;
// Failures go to stderr (stdout carries only the result line), the first few only.
function complain(what) {
  if (++errorsShown <= MAX_ERRORS_SHOWN) console.error(what);
}

async function refundOne(sdk, tag, index, row) {
  const outRequestNo = `${tag}-${index}`;
  try {
    const r = await sdk.exec('alipay.trade.refund', {
      bizContent: { tradeNo: row.payment, refundAmount: '0.01', outRequestNo },
      // The sandbox signs and posts a notification per refund, as it does for paybridge's batch.
      ...(process.env.ALIPAY_NOTIFY_URL ? { notify_url: process.env.ALIPAY_NOTIFY_URL } : {}),
    }, { validateSign: true });
    if (r.code === '10000') return true;
    complain(`${outRequestNo}: code ${r.code} ${r.subCode || ''} ${r.subMsg || r.msg || ''}`);
  } catch (e) { // AlipayRequestError: non-200, unparsable answer or bad signature
    complain(`${outRequestNo}: ${e.message} ${e.responseDataRaw || ''}`);
  }
  return false;
}

async function main() {
  const threads = Number(env.THREADS || 1);
  const tag = env.RUN_TAG || 'sdk';
  const sdk = client();
  const rows = payments();

  let next = 0;
  let ok = 0;
  // One event loop: `next++` is the shared queue, no lock needed.
  const worker = async () => {
    while (next < rows.length) {
      const index = next++;
      if (await refundOne(sdk, tag, index, rows[index])) ok += 1;
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: threads }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  console.log(JSON.stringify({
    sdk: 'alipay-sdk', version: VERSION, threads, refunds: rows.length, ok,
    seconds: Math.round(seconds * 1000) / 1000,
    per_second: seconds ? Math.round((ok / seconds) * 10) / 10 : 0,
  }));
  process.exitCode = rows.length && ok === rows.length ? 0 : 1;
}

main().catch((e) => { console.error(e.stack); process.exitCode = 1; });
