// The REST client: one Hookline server, one API key, resources grouped as
// client.events, client.webhooks, client.eventTypes, client.deliveries,
// client.tenants, client.keys, client.users, client.alertChannels and client.auditLog. Field names are the API's own
// (snake_case), in requests
// and answers alike. Types are in index.d.ts.
import { ConnectionError, HooklineError, apiError } from './errors.js';

/** The SDK's version, sent in the User-Agent header. */
export const VERSION = '0.1.0';

// Only these answers mean "not done, try later": the rate limiter (429)
// and an overloaded or starting server or proxy (503).
const RETRY_STATUSES = new Set([429, 503]);

/** A client of one Hookline server's REST API. */
export class Hookline {
  constructor(options) {
    const { baseUrl, apiKey, timeoutMs = 30_000, maxRetries = 2, maxRetryDelayMs = 60_000, userAgent, fetch: f } = options ?? {};
    if (!baseUrl) throw new TypeError('Hookline needs a baseUrl');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey ?? '';
    this.timeoutMs = timeoutMs;
    this.maxRetries = maxRetries;
    this.maxRetryDelayMs = maxRetryDelayMs;
    this.userAgent = userAgent ? `${userAgent} hookline-typescript/${VERSION}` : `hookline-typescript/${VERSION} node/${process.version}`;
    this.fetch = f ?? globalThis.fetch;
    this.events = new Events(this);
    this.webhooks = new Webhooks(this);
    this.eventTypes = new EventTypes(this);
    this.deliveries = new Deliveries(this);
    this.tenants = new Tenants(this);
    this.keys = new Keys(this);
    this.users = new Users(this);
    this.alertChannels = new AlertChannels(this);
    this.auditLog = new AuditLog(this);
  }

  /** The key in use and the server's version (GET /api/v1/me). */
  me() {
    return this.request('GET', '/api/v1/me');
  }

  /** The whole server's health over time (operators only): { since: '24h', bucket: '5m' }. */
  stats(params = {}) {
    return this.request('GET', '/api/v1/stats', { query: params });
  }

  /**
   * Sends one API call and returns its decoded JSON answer (undefined for
   * 204). template is the route as the OpenAPI document spells it
   * ("/api/v1/webhooks/{id}"), filled from params. GET calls, and calls
   * marked retryable, are repeated on 429, 503
   * and connection errors, after Retry-After when the server sent one or
   * an exponential back-off otherwise.
   */
  async request(method, template, { params, query, body, retryable = method === 'GET' } = {}) {
    const path = expand(template, params);
    let url = this.baseUrl + path;
    const qs = encodeQuery(query);
    if (qs) url += '?' + qs;
    const headers = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const canRetry = retryable && attempt < this.maxRetries;
      let response, text;
      try {
        response = await this.fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
        text = await response.text();
      } catch (cause) {
        const timedOut = cause?.name === 'TimeoutError' || cause?.name === 'AbortError';
        const err = new ConnectionError(
          `hookline: ${method} ${path}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : describeCause(cause)}`,
          { cause, method, path, timedOut },
        );
        // A timed-out call already waited its whole budget; repeating it
        // would multiply the caller's wait, so only fast failures retry.
        if (canRetry && !timedOut) {
          await sleep(backoff(attempt));
          continue;
        }
        throw err;
      }
      if (response.ok) {
        if (response.status === 204 || text === '') return undefined;
        try {
          return JSON.parse(text);
        } catch (cause) {
          // A proxy's HTML page with a 200, say: not the API answering.
          throw new HooklineError(`hookline: ${method} ${path}: the answer (status ${response.status}) is not JSON`, { cause });
        }
      }
      const err = apiError(method, path, response, text);
      if (canRetry && RETRY_STATUSES.has(response.status)) {
        const wait = err.retryAfter != null ? err.retryAfter * 1000 : backoff(attempt);
        // A wait longer than the caller allows is theirs to decide on.
        if (wait <= this.maxRetryDelayMs) {
          await sleep(wait);
          continue;
        }
      }
      throw err;
    }
  }
}

class Events {
  constructor(c) {
    this.c = c;
  }
  /**
   * Publishes an event. With an idempotency_key the call is retried like a
   * GET: the server stores a repeat only once and answers it with
   * duplicate: true and the original id.
   */
  publish(params) {
    return this.c.request('POST', '/api/v1/events', { body: params, retryable: Boolean(params.idempotency_key) });
  }
  list(params = {}) {
    return this.c.request('GET', '/api/v1/events', { query: params });
  }
  listAll(params = {}) {
    return paginate((query) => this.list(query), params);
  }
  get(id) {
    return this.c.request('GET', '/api/v1/events/{id}', { params: { id } });
  }
}

class Webhooks {
  constructor(c) {
    this.c = c;
  }
  list(params = {}) {
    return this.c.request('GET', '/api/v1/webhooks', { query: params });
  }
  listAll(params = {}) {
    return paginate((query) => this.list(query), params);
  }
  get(id) {
    return this.c.request('GET', '/api/v1/webhooks/{id}', { params: { id } });
  }
  create(params) {
    return this.c.request('POST', '/api/v1/webhooks', { body: params });
  }
  update(id, params) {
    return this.c.request('PATCH', '/api/v1/webhooks/{id}', { params: { id }, body: params });
  }
  async delete(id) {
    await this.c.request('DELETE', '/api/v1/webhooks/{id}', { params: { id } });
  }
  secret(id) {
    return this.c.request('GET', '/api/v1/webhooks/{id}/secret', { params: { id } });
  }
  rotateSecret(id) {
    return this.c.request('POST', '/api/v1/webhooks/{id}/rotate-secret', { params: { id } });
  }
  test(id, params = {}) {
    return this.c.request('POST', '/api/v1/webhooks/{id}/test', { params: { id }, body: params });
  }
  replay(id, params) {
    return this.c.request('POST', '/api/v1/webhooks/{id}/replay', { params: { id }, body: params });
  }
  /** Re-queues the failed deliveries of a window ({ since, until?, event_types?, dry_run? }). */
  recover(id, params) {
    return this.c.request('POST', '/api/v1/webhooks/{id}/recover', { params: { id }, body: params });
  }
  /** Tries a payload filter on an event or an event type's example; nothing is stored. */
  filterTest(params) {
    return this.c.request('POST', '/api/v1/webhooks/filter-test', { body: params, retryable: true });
  }
  /** Runs a transform on an event or an event type's example as a delivery would; nothing is stored or sent. */
  transformTest(params) {
    return this.c.request('POST', '/api/v1/webhooks/transform-test', { body: params, retryable: true });
  }
  async attempts(id, params = {}) {
    return (await this.c.request('GET', '/api/v1/webhooks/{id}/attempts', { params: { id }, query: params })).data;
  }
  /** The webhook's health over time: { since: '24h', bucket: '5m' }. */
  stats(id, params = {}) {
    return this.c.request('GET', '/api/v1/webhooks/{id}/stats', { params: { id }, query: params });
  }
}

class EventTypes {
  constructor(c) {
    this.c = c;
  }
  async list() {
    return (await this.c.request('GET', '/api/v1/event-types')).data;
  }
  get(slug) {
    return this.c.request('GET', '/api/v1/event-types/{slug}', { params: { slug } });
  }
  create(params) {
    return this.c.request('POST', '/api/v1/event-types', { body: params });
  }
  update(slug, params) {
    return this.c.request('PATCH', '/api/v1/event-types/{slug}', { params: { slug }, body: params });
  }
}

class Deliveries {
  constructor(c) {
    this.c = c;
  }
  list(params = {}) {
    return this.c.request('GET', '/api/v1/deliveries', { query: params });
  }
  listAll(params = {}) {
    return paginate((query) => this.list(query), params);
  }
  get(id) {
    return this.c.request('GET', '/api/v1/deliveries/{id}', { params: { id } });
  }
  retry(id) {
    return this.c.request('POST', '/api/v1/deliveries/{id}/retry', { params: { id } });
  }
}

class Tenants {
  constructor(c) {
    this.c = c;
  }
  list(params = {}) {
    return this.c.request('GET', '/api/v1/tenants', { query: params });
  }
  listAll(params = {}) {
    return paginate((query) => this.list(query), params);
  }
  get(id) {
    return this.c.request('GET', '/api/v1/tenants/{id}', { params: { id } });
  }
  create(params) {
    return this.c.request('POST', '/api/v1/tenants', { body: params });
  }
  update(id, params) {
    return this.c.request('PATCH', '/api/v1/tenants/{id}', { params: { id }, body: params });
  }
  async delete(id, { cascade = false } = {}) {
    await this.c.request('DELETE', '/api/v1/tenants/{id}', { params: { id }, query: cascade ? { cascade: 'true' } : undefined });
  }
  /** Mints a magic link into the customer portal for the tenant. */
  createPortalSession(id, params = {}) {
    return this.c.request('POST', '/api/v1/tenants/{id}/portal-sessions', { params: { id }, body: params });
  }
  /** The tenant's health over time, over all its webhooks; a tenant's key reads its own. */
  stats(id, params = {}) {
    return this.c.request('GET', '/api/v1/tenants/{id}/stats', { params: { id }, query: params });
  }
}

class Keys {
  constructor(c) {
    this.c = c;
  }
  async list() {
    return (await this.c.request('GET', '/api/v1/keys')).data;
  }
  /** Creates an API key; the answer's key is shown only this once. */
  create(params) {
    return this.c.request('POST', '/api/v1/keys', { body: params });
  }
  async revoke(id) {
    await this.c.request('DELETE', '/api/v1/keys/{id}', { params: { id } });
  }
}

// Dashboard users; every call needs a key with the owner scope.
class Users {
  constructor(c) {
    this.c = c;
  }
  async list() {
    return (await this.c.request('GET', '/api/v1/users')).data;
  }
  get(username) {
    return this.c.request('GET', '/api/v1/users/{id}', { params: { id: username } });
  }
  /** Without a password, one is generated and returned once in password. */
  create(params) {
    return this.c.request('POST', '/api/v1/users', { body: params });
  }
  /** Changes role and/or password; password "" generates one, returned once. */
  update(username, params) {
    return this.c.request('PATCH', '/api/v1/users/{id}', { params: { id: username }, body: params });
  }
  async delete(username) {
    await this.c.request('DELETE', '/api/v1/users/{id}', { params: { id: username } });
  }
}

class AlertChannels {
  constructor(c) {
    this.c = c;
  }
  /** Every alert channel, oldest first; Slack URLs masked. */
  async list() {
    return (await this.c.request('GET', '/api/v1/alert-channels')).data;
  }
  get(id) {
    return this.c.request('GET', '/api/v1/alert-channels/{id}', { params: { id } });
  }
  /** Adds a Slack-compatible or e-mail channel for the alert kinds given. */
  create(params) {
    return this.c.request('POST', '/api/v1/alert-channels', { body: params });
  }
  async delete(id) {
    await this.c.request('DELETE', '/api/v1/alert-channels/{id}', { params: { id } });
  }
  /** Sends a test alert now (one try) and says whether it arrived. */
  test(id) {
    return this.c.request('POST', '/api/v1/alert-channels/{id}/test', { params: { id } });
  }
}

class AuditLog {
  constructor(c) {
    this.c = c;
  }
  list(params = {}) {
    return this.c.request('GET', '/api/v1/audit-log', { query: params });
  }
  listAll(params = {}) {
    return paginate((query) => this.list(query), params);
  }
}

// paginate yields every item of a list, fetching the next page only when
// the caller asks for more. A cursor seen before ends the walk: a correct
// server never sends one, but looping forever on a broken one is worse.
async function* paginate(fetchPage, params) {
  const seen = new Set();
  let cursor = params.cursor;
  for (;;) {
    const page = await fetchPage({ ...params, cursor });
    yield* page.data;
    if (!page.next_cursor || seen.has(page.next_cursor)) return;
    seen.add(page.next_cursor);
    cursor = page.next_cursor;
  }
}

function encodeQuery(query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  return q.toString();
}

// expand fills a route template's {name} placeholders, escaping each
// value so an ID can never change the route. Routes are written as the
// OpenAPI document spells them, which the coverage test in
// e2e/sdk_test.go relies on.
function expand(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (params[name] === undefined || params[name] === null || params[name] === '') {
      throw new TypeError(`${template}: ${name} is required`);
    }
    return encodeURIComponent(String(params[name]));
  });
}

function backoff(attempt) {
  const base = Math.min(8_000, 500 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// describeCause names why fetch failed: its own message is only "fetch
// failed", the reason (ECONNREFUSED, bad port, …) is in its cause.
function describeCause(cause) {
  const inner = cause?.cause;
  const why = inner?.code ?? inner?.message;
  return why ? `${cause.message} (${why})` : String(cause?.message ?? cause);
}

