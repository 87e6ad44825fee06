// Verifies incoming webhook requests: Standard Webhooks signatures over
// "<webhook-id>.<webhook-timestamp>.<raw body>", v1 (HMAC-SHA256 with a
// "whsec_" secret) and v1a (ed25519 with a "whpk_" public key).
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';

const PREFIX = 'whsec_';
const PUBLIC_PREFIX = 'whpk_';
const DEFAULT_TOLERANCE = 5 * 60;

/** Verifies the signature of requests sent by a Hookline webhook. */
export class Webhook {
  /**
   * @param secret the webhook's signing secret ("whsec_…") or public key
   *   ("whpk_…"), or several during a rotation: any one matching is enough.
   */
  constructor(secret, { toleranceSeconds = DEFAULT_TOLERANCE, now } = {}) {
    const secrets = Array.isArray(secret) ? secret : [secret];
    if (secrets.length === 0) throw new TypeError('Webhook needs a secret');
    this.keys = [];
    this.publicKeys = [];
    for (const s of secrets) {
      if (typeof s === 'string' && s.startsWith(PUBLIC_PREFIX)) this.publicKeys.push(decodePublicKey(s));
      else this.keys.push(decodeSecret(s));
    }
    this.toleranceSeconds = toleranceSeconds;
    this.now = now ?? (() => Date.now() / 1000);
  }

  /**
   * Checks body (the raw request body, exactly as received) against the
   * webhook-* headers and returns the parsed JSON payload. Throws a
   * WebhookVerificationError when the request is not signed with the
   * secret or its timestamp is more than the tolerance away from now (a
   * replayed capture).
   */
  verify(body, headers) {
    const get = headerGetter(headers);
    const id = get('webhook-id');
    const timestamp = get('webhook-timestamp');
    const signatures = get('webhook-signature');
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
    }
    if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number');
    const sent = Number(timestamp);
    const now = this.now();
    if (sent < now - this.toleranceSeconds) throw new WebhookVerificationError('the timestamp is too old');
    if (sent > now + this.toleranceSeconds) throw new WebhookVerificationError('the timestamp is in the future');
    const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), raw]);
    if (!this.#matches(signed, signatures)) throw new WebhookVerificationError('no signature matches');
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new WebhookVerificationError('the body is not JSON');
    }
  }

  #matches(signed, signatures) {
    const macs = this.keys.map((key) => createHmac('sha256', key).update(signed).digest());
    for (const entry of signatures.split(' ')) {
      const [version, sig] = entry.split(',', 2);
      if (!sig) continue;
      const given = Buffer.from(sig, 'base64');
      if (version === 'v1' && macs.some((mac) => given.length === mac.length && timingSafeEqual(given, mac))) return true;
      if (version === 'v1a' && given.length === 64 && this.publicKeys.some((key) => verifySignature(null, signed, key, given))) return true;
    }
    return false;
  }
}

function decodePublicKey(key) {
  const raw = decodeBase64(key.slice(PUBLIC_PREFIX.length), 'public key');
  if (raw.length !== 32) throw new TypeError('the public key is not whpk_ followed by 32 bytes of base64');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function decodeBase64(b64, what) {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new TypeError(`the ${what} is not base64`);
  }
  return Buffer.from(b64, 'base64');
}

function decodeSecret(secret) {
  if (typeof secret !== 'string') throw new TypeError('the secret must be a string');
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new TypeError('the secret is not whsec_ followed by base64');
  }
  return Buffer.from(b64, 'base64');
}

// headerGetter looks headers up by lower-case name in a Headers object, a
// Node IncomingHttpHeaders or any plain object, whatever its key case.
function headerGetter(headers) {
  if (headers && typeof headers.get === 'function') return (name) => headers.get(name) ?? '';
  const lower = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    lower[k.toLowerCase()] = Array.isArray(v) ? v.join(' ') : String(v);
  }
  return (name) => lower[name] ?? '';
}
