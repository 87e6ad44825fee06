// Tests of @hookline/sdk: `npm test` (node --test). The "server" tests run
// against a real Hookline when HOOKLINE_URL and HOOKLINE_API_KEY are set
// (e2e/sdk_test.go sets them, with a retry proxy and a captured delivery);
// without them they are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  Hookline,
  VERSION,
  ApiError,
  HooklineError,
  ValidationError,
  NotFoundError,
  ConnectionError,
  Webhook,
  WebhookVerificationError,
} from '../src/index.js';

// The Standard Webhooks specification's test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function vectorHeaders(override = {}) {
  return { 'webhook-id': VECTOR.id, 'webhook-timestamp': VECTOR.timestamp, 'webhook-signature': VECTOR.signature, ...override };
}

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(VERSION, pkg.version);
  assert.match(new Hookline({ baseUrl: 'http://x' }).userAgent, new RegExp(`^hookline-typescript/${VERSION} `));
});

test('Webhook verifies the specification vector', () => {
  const wh = new Webhook(VECTOR.secret, { now: () => Number(VECTOR.timestamp) });
  assert.deepEqual(wh.verify(VECTOR.body, vectorHeaders()), { test: 2432232314 });
  // Any one matching entry is enough (rotation), in any header case.
  const upper = { 'Webhook-Id': VECTOR.id, 'Webhook-Timestamp': VECTOR.timestamp, 'Webhook-Signature': 'v1,bm90 ' + VECTOR.signature };
  assert.deepEqual(wh.verify(Buffer.from(VECTOR.body), new Headers(upper)), { test: 2432232314 });
  // Of several secrets, one matching is enough.
  const two = new Webhook(['whsec_' + Buffer.from('other').toString('base64'), VECTOR.secret], { now: () => Number(VECTOR.timestamp) });
  assert.ok(two.verify(VECTOR.body, vectorHeaders()));
});

test('Webhook verifies the v1a (ed25519) vector', () => {
  const v = JSON.parse(readFileSync(new URL('../../testdata/standard-webhooks-v1a.json', import.meta.url), 'utf8'));
  const headers = { 'webhook-id': v.id, 'webhook-timestamp': v.timestamp, 'webhook-signature': v.signature };
  const at = { now: () => Number(v.timestamp) };
  assert.equal(new Webhook(v.public_key, at).verify(v.body, headers).type, 'customer_created');
  // With a secret and a public key, either kind of signature is enough.
  assert.ok(new Webhook([VECTOR.secret, v.public_key], at).verify(v.body, headers));
  assert.throws(() => new Webhook(v.public_key, at).verify(v.body.replace('42', '43'), headers), WebhookVerificationError);
  // A v1a signature is no v1 signature, and an HMAC secret checks no v1a.
  assert.throws(() => new Webhook(VECTOR.secret, at).verify(v.body, headers), WebhookVerificationError);
  const asV1 = { ...headers, 'webhook-signature': v.signature.replace('v1a,', 'v1,') };
  assert.throws(() => new Webhook(v.public_key, at).verify(v.body, asV1), WebhookVerificationError);
  const otherKey = 'whpk_' + Buffer.alloc(32, 7).toString('base64');
  assert.throws(() => new Webhook(otherKey, at).verify(v.body, headers), /no signature matches|public key/);
  assert.throws(() => new Webhook('whpk_AAAA'), TypeError);
});

test('Webhook refuses what is not signed', () => {
  const wh = new Webhook(VECTOR.secret, { now: () => Number(VECTOR.timestamp) });
  const cases = {
    'tampered body': [VECTOR.body.replace('4', '5'), vectorHeaders()],
    'other id': [VECTOR.body, vectorHeaders({ 'webhook-id': 'msg_other' })],
    'no signature': [VECTOR.body, vectorHeaders({ 'webhook-signature': '' })],
    'other version': [VECTOR.body, vectorHeaders({ 'webhook-signature': VECTOR.signature.replace('v1,', 'v2,') })],
    'bad timestamp': [VECTOR.body, vectorHeaders({ 'webhook-timestamp': 'soon' })],
  };
  for (const [name, [body, headers]] of Object.entries(cases)) {
    assert.throws(() => wh.verify(body, headers), WebhookVerificationError, name);
  }
  const later = new Webhook(VECTOR.secret, { now: () => Number(VECTOR.timestamp) + 301 });
  assert.throws(() => later.verify(VECTOR.body, vectorHeaders()), /too old/);
  const earlier = new Webhook(VECTOR.secret, { now: () => Number(VECTOR.timestamp) - 301 });
  assert.throws(() => earlier.verify(VECTOR.body, vectorHeaders()), /future/);
  assert.throws(() => new Webhook('whsec_not base64!'), TypeError);
});

// fakeFetch answers calls from a list and records them.
function fakeFetch(answers) {
  const calls = [];
  const f = async (url, init) => {
    calls.push({ url, init });
    const a = answers.shift();
    if (a instanceof Error) throw a;
    return new Response(a.body ?? '', { status: a.status, headers: a.headers ?? {} });
  };
  f.calls = calls;
  return f;
}

test('a problem answer becomes a typed error with every field problem', async () => {
  const problem = {
    type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'url: must be absolute',
    field: 'url', errors: [{ pointer: '/url', detail: 'must be absolute' }, { pointer: '/name', detail: 'required' }],
    request_id: 'req-1',
  };
  const f = fakeFetch([{ status: 422, body: JSON.stringify(problem), headers: { 'content-type': 'application/problem+json' } }]);
  const c = new Hookline({ baseUrl: 'http://h/', apiKey: 'k', fetch: f });
  const err = await c.webhooks.create({ name: '', url: 'x', events: [] }).catch((e) => e);
  assert.ok(err instanceof ValidationError && err instanceof ApiError);
  assert.equal(err.status, 422);
  assert.equal(err.field, 'url');
  assert.equal(err.requestId, 'req-1');
  assert.deepEqual(err.errors.map((p) => p.pointer), ['/url', '/name']);
  assert.match(err.message, /POST \/api\/v1\/webhooks: 422 Unprocessable Entity: \/url: must be absolute; \/name: required/);
  assert.equal(f.calls.length, 1, 'a POST is not retried');
  assert.equal(f.calls[0].url, 'http://h/api/v1/webhooks');
  assert.equal(f.calls[0].init.headers.Authorization, 'Bearer k');
});

test('a non-JSON error page still gives an ApiError', async () => {
  const f = fakeFetch([{ status: 502, body: '<html>\n <b>Bad gateway</b></html>', headers: { 'content-type': 'text/html' } }]);
  const err = await new Hookline({ baseUrl: 'http://h', fetch: f }).tenants.get('a/b').catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 502);
  assert.equal(err.detail, '<html> <b>Bad gateway</b></html>');
  assert.equal(f.calls[0].url, 'http://h/api/v1/tenants/a%2Fb', 'IDs are escaped');
});

test('a 2xx answer that is not JSON is a HooklineError', async () => {
  const f = fakeFetch([{ status: 200, body: '<html>login</html>' }]);
  const err = await new Hookline({ baseUrl: 'http://h', fetch: f }).me().catch((e) => e);
  assert.ok(err instanceof HooklineError && !(err instanceof ApiError), String(err));
  assert.match(err.message, /GET \/api\/v1\/me: the answer \(status 200\) is not JSON/);
});

test('GETs are retried on 503 and connection errors, honouring Retry-After', async () => {
  const f = fakeFetch([
    { status: 503, headers: { 'retry-after': '0', 'content-type': 'application/problem+json' }, body: '{"status":503}' },
    new TypeError('fetch failed'),
    { status: 200, body: '{"data":[]}', headers: { 'content-type': 'application/json' } },
  ]);
  const c = new Hookline({ baseUrl: 'http://h', fetch: f });
  assert.deepEqual(await c.eventTypes.list(), []);
  assert.equal(f.calls.length, 3);
});

test('retries stop after maxRetries and at a Retry-After beyond maxRetryDelayMs', async () => {
  const f = fakeFetch([new TypeError('fetch failed'), new TypeError('fetch failed')]);
  const err = await new Hookline({ baseUrl: 'http://h', fetch: f, maxRetries: 1 }).me().catch((e) => e);
  assert.ok(err instanceof ConnectionError);
  assert.equal(f.calls.length, 2);
  const g = fakeFetch([{ status: 429, headers: { 'retry-after': '3600' } }]);
  const limited = await new Hookline({ baseUrl: 'http://h', fetch: g }).me().catch((e) => e);
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfter, 3600);
  assert.equal(g.calls.length, 1);
});

test('publish is retried only with an idempotency key', async () => {
  const f = fakeFetch([{ status: 503, headers: { 'retry-after': '0' } }, { status: 202, body: '{"id":"evt_1","deliveries":0}' }]);
  const c = new Hookline({ baseUrl: 'http://h', fetch: f });
  assert.equal((await c.events.publish({ type: 't', data: {}, idempotency_key: 'k1' })).id, 'evt_1');
  assert.equal(f.calls.length, 2);
  const g = fakeFetch([{ status: 503, headers: { 'retry-after': '0' } }]);
  const err = await new Hookline({ baseUrl: 'http://h', fetch: g }).events.publish({ type: 't', data: {} }).catch((e) => e);
  assert.equal(err.status, 503);
  assert.equal(g.calls.length, 1);
});

// --- against a real server ---------------------------------------------

const URL_ = process.env.HOOKLINE_URL;
const KEY = process.env.HOOKLINE_API_KEY;
const server = { skip: URL_ && KEY ? false : 'HOOKLINE_URL and HOOKLINE_API_KEY are not set' };
const TENANT = process.env.HOOKLINE_TENANT ?? 'sdk-typescript';

test('server: publish with an idempotency key stores one event', server, async () => {
  const c = new Hookline({ baseUrl: URL_, apiKey: KEY });
  const key = `ts-${Date.now()}-${Math.random()}`;
  const first = await c.events.publish({ type: 'customer_created', data: { id: 1, name: 'Ada' }, idempotency_key: key, tenant: TENANT });
  const again = await c.events.publish({ type: 'customer_created', data: { id: 1, name: 'Ada' }, idempotency_key: key, tenant: TENANT });
  assert.equal(again.id, first.id);
  assert.equal(again.duplicate, true);
  const ev = await c.events.get(first.id);
  assert.equal(ev.tenant, TENANT);
  assert.deepEqual(ev.data, { id: 1, name: 'Ada' });
});

test('server: webhook CRUD, paging, deliveries, event types', server, async () => {
  const c = new Hookline({ baseUrl: URL_, apiKey: KEY });
  const types = await c.eventTypes.list();
  assert.ok(types.some((t) => t.slug === 'customer_created'));
  assert.equal((await c.eventTypes.get('customer_created')).slug, 'customer_created');

  const created = await c.webhooks.create({
    tenant: TENANT, name: 'ts crud', url: 'http://127.0.0.1:9/crud', events: ['customer_created'], active: false,
  });
  assert.match(created.secret, /^whsec_/);
  assert.equal((await c.webhooks.get(created.id)).name, 'ts crud');
  const updated = await c.webhooks.update(created.id, { name: 'ts crud 2', events: ['*'] });
  assert.equal(updated.name, 'ts crud 2');
  assert.deepEqual(updated.events, ['*']);
  assert.equal((await c.webhooks.secret(created.id)).secret, created.secret);
  const st = await c.webhooks.stats(created.id, { since: '1h', bucket: '15m' });
  assert.equal(st.bucket, '15m');
  assert.equal(st.buckets.length, 4);
  assert.equal(st.totals.delivered, 0);
  assert.equal(st.success_rate, null);
  assert.equal((await c.tenants.stats(created.tenant, { since: '7d' })).bucket, '1h');
  assert.equal((await c.stats()).buckets.length, 288);
  const bad = await c.webhooks.stats(created.id, { since: '45d' }).catch((e) => e);
  assert.ok(bad instanceof ValidationError && bad.field === 'since', String(bad));
  await c.webhooks.delete(created.id);
  await assert.rejects(c.webhooks.get(created.id), NotFoundError);

  // Five webhooks in a tenant of their own, listed two at a time.
  const pageTenant = `${TENANT}-pages`;
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push((await c.webhooks.create({ tenant: pageTenant, name: `page ${i}`, url: `http://127.0.0.1:9/p${i}`, events: ['*'], active: false })).id);
  }
  const first = await c.webhooks.list({ tenant: pageTenant, limit: 2 });
  assert.equal(first.data.length, 2);
  assert.ok(first.next_cursor);
  const seen = [];
  for await (const w of c.webhooks.listAll({ tenant: pageTenant, limit: 2 })) seen.push(w.id);
  assert.deepEqual([...seen].sort(), [...made].sort());

  // A delivery to an active webhook (its URL refuses connections): list, get, retry.
  const wh = await c.webhooks.create({ tenant: TENANT, name: 'ts deliveries', url: 'http://127.0.0.1:9/d', events: ['customer_created'] });
  const pub = await c.events.publish({ type: 'customer_created', data: { id: 2 }, tenant: TENANT });
  assert.equal(pub.deliveries, 1);
  const dl = [];
  for await (const d of c.deliveries.listAll({ event_id: pub.id })) dl.push(d);
  assert.equal(dl.length, 1);
  assert.equal((await c.deliveries.get(dl[0].id)).webhook_id, wh.id);
  // A retry while an attempt is in flight is a 409; anything else must work.
  try {
    assert.equal((await c.deliveries.retry(dl[0].id)).status, 'pending');
  } catch (err) {
    assert.equal(err.status, 409, String(err));
  }
  await c.webhooks.delete(wh.id);
});

test('server: a 422 carries every field problem', server, async () => {
  const c = new Hookline({ baseUrl: URL_, apiKey: KEY });
  // Both problems are 422s (a refused address, an unknown type): the
  // server reports them together.
  const err = await c.webhooks
    .create({ tenant: TENANT, name: 'bad', url: 'http://169.254.169.254/latest', events: ['no_such_type'] })
    .catch((e) => e);
  assert.ok(err instanceof ValidationError, String(err));
  assert.equal(err.status, 422);
  const pointers = err.errors.map((p) => p.pointer);
  for (const p of ['/url', '/events/0']) assert.ok(pointers.includes(p), `${p} in ${pointers}`);
  assert.ok(err.requestId);
});

test('server: tenants and a portal link', server, async () => {
  const c = new Hookline({ baseUrl: URL_, apiKey: KEY });
  const id = `${TENANT}-portal`;
  const t = await c.tenants.create({ id, name: 'Portal Co', metadata: { plan: 'gold' } });
  assert.equal(t.name, 'Portal Co');
  assert.equal((await c.tenants.update(id, { name: 'Portal Co 2' })).name, 'Portal Co 2');
  const ids = [];
  for await (const x of c.tenants.listAll({ search: id, limit: 1 })) ids.push(x.id);
  assert.deepEqual(ids, [id]);
  const link = await c.tenants.createPortalSession(id, { ttl: '30m', read_only: true });
  assert.match(link.url, /\/portal\/open\?token=/);
  assert.ok(Date.parse(link.expires_at) > Date.now());
  await c.tenants.delete(id, { cascade: true });
  await assert.rejects(c.tenants.get(id), NotFoundError);
});

test('server: keys, audit log, filter test', server, async () => {
  const c = new Hookline({ baseUrl: URL_, apiKey: KEY });
  const made = await c.keys.create({ name: 'ts tenant key', tenant: TENANT, scopes: ['publish'] });
  assert.match(made.key, /^hkl_/);
  assert.deepEqual(made.scopes, ['publish']);
  // The new key publishes into its tenant without naming it.
  const pub = await new Hookline({ baseUrl: URL_, apiKey: made.key }).events.publish({ type: 'customer_created', data: { id: 5 } });
  assert.equal((await c.events.get(pub.id)).tenant, TENANT);
  await c.keys.revoke(made.id);
  assert.ok((await c.keys.list()).find((k) => k.id === made.id)?.revoked_at);
  const audit = [];
  for await (const e of c.auditLog.listAll({ target: made.id, limit: 1 })) audit.push(e.action);
  assert.ok(audit.length >= 2, `audit entries of the key: ${audit}`);

  const res = await c.webhooks.filterTest({ filter: { 'data.amount': { $gte: 100 } }, event: { type: 'payment_received', data: { amount: 29 } } });
  assert.equal(res.matches, false);
  assert.ok(res.explanation);
});

test('server: 503 with Retry-After is retried', { skip: server.skip || (!process.env.HOOKLINE_FLAKY_URL && 'HOOKLINE_FLAKY_URL is not set') }, async () => {
  // The proxy answers every other request with 503 and Retry-After: 1.
  const c = new Hookline({ baseUrl: process.env.HOOKLINE_FLAKY_URL, apiKey: KEY });
  const start = Date.now();
  assert.ok((await c.me()).version);
  assert.ok(Date.now() - start >= 900, 'waited for Retry-After');
  const key = `ts-flaky-${Date.now()}`;
  const res = await c.events.publish({ type: 'customer_created', data: { id: 3 }, idempotency_key: key, tenant: TENANT });
  assert.ok(res.id);
  const err = await c.events.publish({ type: 'customer_created', data: { id: 4 }, tenant: TENANT }).catch((e) => e);
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.status, 503);
  assert.equal(err.retryAfter, 1);
});

test('server: a real delivery verifies', { skip: !process.env.HOOKLINE_SIGNED_REQUEST && 'HOOKLINE_SIGNED_REQUEST is not set' }, () => {
  const captured = JSON.parse(readFileSync(process.env.HOOKLINE_SIGNED_REQUEST, 'utf8'));
  const wh = new Webhook(captured.secret);
  const payload = wh.verify(captured.body, captured.headers);
  assert.equal(payload.type, captured.headers['webhook-event']);
  assert.throws(() => wh.verify(captured.body + ' ', captured.headers), WebhookVerificationError);
});
