// Errors thrown by the client. Every non-2xx answer becomes an ApiError (or
// one of its subclasses) carrying the server's RFC 9457 problem document;
// a request that got no answer at all becomes a ConnectionError.

/** Base class of every error this package throws. */
export class HooklineError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error answer from the server, with its problem JSON. */
export class ApiError extends HooklineError {
  constructor(init) {
    super(describe(init));
    this.status = init.status;
    this.type = init.type ?? 'about:blank';
    this.title = init.title ?? '';
    this.detail = init.detail ?? '';
    this.instance = init.instance ?? '';
    this.field = init.field ?? '';
    this.errors = init.errors ?? [];
    this.requestId = init.requestId ?? '';
    this.retryAfter = init.retryAfter ?? null;
    this.method = init.method;
    this.path = init.path;
  }
}

/** 400 or 422: the request was malformed or not acceptable; see `errors`. */
export class ValidationError extends ApiError {}
/** 401 or 403: the key is missing, unknown or lacks the scope. */
export class AuthenticationError extends ApiError {}
/** 404: no such webhook, event, delivery, event type or tenant. */
export class NotFoundError extends ApiError {}
/** 409: e.g. a slug or tenant ID that exists, a tenant that has webhooks. */
export class ConflictError extends ApiError {}
/** 429: the key is over its rate limit; `retryAfter` says for how long. */
export class RateLimitError extends ApiError {}

/** The request got no answer: refused, reset, or timed out. */
export class ConnectionError extends HooklineError {
  constructor(message, { cause, method, path, timedOut = false } = {}) {
    super(message, { cause });
    this.method = method;
    this.path = path;
    this.timedOut = timedOut;
  }
}

/** A webhook request whose signature does not verify. */
export class WebhookVerificationError extends HooklineError {}

function describe(init) {
  let s = `hookline: ${init.method} ${init.path}: ${init.status}`;
  if (init.title) s += ` ${init.title}`;
  const errors = init.errors ?? [];
  if (errors.length > 1) {
    s += ':' + errors.map((p) => ` ${place(p)}: ${p.detail}`).join(';');
  } else if (init.detail) {
    s += `: ${init.detail}`;
  }
  return s;
}

function place(p) {
  return p.parameter ? `?${p.parameter}` : p.pointer ?? '';
}

const classes = {
  400: ValidationError,
  401: AuthenticationError,
  403: AuthenticationError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  429: RateLimitError,
};

/**
 * Builds the error of a non-2xx response whose body is text. A body that
 * is not problem JSON (a proxy's HTML page) still gives an ApiError: the
 * status line is the truth, the body's start becomes the detail.
 */
export function apiError(method, path, response, text) {
  let problem = {};
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  if (type === 'application/problem+json' || type === 'application/json') {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) problem = parsed;
    } catch {
      problem = {};
    }
  }
  if (Object.keys(problem).length === 0) {
    const excerpt = text.split(/\s+/).join(' ').trim();
    problem = { detail: excerpt.length > 200 ? excerpt.slice(0, 200) + '…' : excerpt };
  }
  const Cls = classes[response.status] ?? ApiError;
  return new Cls({
    status: response.status,
    type: str(problem.type),
    title: str(problem.title) || response.statusText,
    detail: str(problem.detail),
    instance: str(problem.instance),
    field: str(problem.field),
    errors: Array.isArray(problem.errors) ? problem.errors : [],
    requestId: str(problem.request_id) || (response.headers.get('x-request-id') ?? ''),
    retryAfter: parseRetryAfter(response.headers.get('retry-after')),
    method,
    path,
  });
}

function str(v) {
  return typeof v === 'string' ? v : '';
}

/** Seconds to wait from a Retry-After header (seconds or HTTP date); null when absent. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
