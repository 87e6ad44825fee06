// Types of @hookline/sdk. Field names are the API's (snake_case); see the
// server's OpenAPI document at GET /api/openapi.json for every detail.

/** The SDK's version, sent in the User-Agent header. */
export declare const VERSION: string;

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: event data, examples, schemas. */
export type JsonObject = { [key: string]: JsonValue };

export interface HooklineOptions {
  /** The server, e.g. "http://127.0.0.1:8080" or "https://example.com/hookline". */
  baseUrl: string;
  /** An API key ("hkl_…"), sent as a bearer token. */
  apiKey?: string;
  /** Bound of each HTTP request, answer included; default 30000. */
  timeoutMs?: number;
  /** Repeats of a retryable call after 429, 503 or a connection error; default 2. */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited for: the error is thrown; default 60000. */
  maxRetryDelayMs?: number;
  /** Put in front of the SDK's own User-Agent, to tell your callers apart in the server's logs. */
  userAgent?: string;
  /** A fetch implementation; the global fetch by default. */
  fetch?: typeof globalThis.fetch;
}

/** One page of a list; pass next_cursor as cursor to get the next. */
export interface Page<T> {
  data: T[];
  next_cursor?: string;
}

export interface PageParams {
  /** Page size, 1 to 1000; the server's default (50) when absent. */
  limit?: number;
  cursor?: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface EventType {
  slug: string;
  name: string;
  description: string;
  example: JsonObject;
  schema?: JsonObject;
  custom: boolean;
  /** Still delivered to subscribers, no longer offered when choosing events. */
  deprecated: boolean;
  created_at: string;
}

export interface EventTypeCreateParams {
  slug: string;
  name: string;
  description?: string;
  example?: JsonObject;
  schema?: JsonObject;
}

/** A change to an event type: fields left out stay; `schema: null` removes the schema. */
export interface EventTypeUpdateParams {
  name?: string;
  description?: string;
  example?: JsonObject;
  schema?: JsonObject | null;
  deprecated?: boolean;
}

/**
 * Where deliveries go: `http` (the default) POSTs to the webhook's url; the
 * broker types publish to `url` with their own fields (rabbitmq: exchange,
 * routing_key; nats: subject; redis: stream, maxlen; mqtt: topic, qos).
 * `url` comes back with its password masked as `xxxxx`; sending it back
 * unchanged keeps the stored password.
 */
export interface Destination {
  type: "http" | "rabbitmq" | "nats" | "redis" | "mqtt" | "kafka" | (string & {});
  url?: string;
  exchange?: string;
  routing_key?: string;
  subject?: string;
  stream?: string;
  maxlen?: number;
  /** mqtt and kafka: the topic. */
  topic?: string;
  qos?: number;
  /** kafka: bootstrap brokers as host:port. */
  brokers?: string[];
  /** kafka: dotted path in the body whose value keys each record (default: the event id). */
  key_path?: string;
  /** kafka: connect over TLS. */
  tls?: boolean;
  sasl_mechanism?: "plain" | "scram-sha-256" | "scram-sha-512";
  username?: string;
  /** kafka: write-only; answers show "xxxxx". Send it back so (or leave it out) to keep it. */
  password?: string;
}

export interface WebhookStats {
  deliveries: number;
  attempts: number;
  succeeded: number;
  failed: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  failing_since: string | null;
  /** Attempts that waited for the webhook's rate limit before they started. */
  throttled: number;
}

/** At most per_second requests in any second, or per_minute in any minute (set one). */
export interface RateLimit {
  per_second?: number;
  per_minute?: number;
}

export interface Webhook {
  id: string;
  tenant: string;
  name: string;
  url: string;
  description: string;
  /** Subscribed slugs, or ["*"]. */
  events: string[];
  /** Payload filter events must also match; null for none. */
  filter: Record<string, unknown> | null;
  /** JavaScript defining handler(webhook), run on each request before it is sent; '' for none. */
  transform: string;
  active: boolean;
  headers: Record<string, string>;
  secret_headers: string[];
  format: 'envelope' | 'raw';
  integration: string;
  destination: Destination;
  /** How deliveries are signed: Standard Webhooks v1 (HMAC) or v1a (ed25519). */
  signature: 'hmac-sha256' | 'ed25519';
  /** 'fifo': deliveries with the same ordering key leave one at a time, in commit order. */
  ordering: 'none' | 'fifo';
  /** Path of the ordering key in the event (data.customer_id); '' for one sequence. */
  ordering_key: string;
  /** Caps the requests sent to the webhook; null for none. */
  rate_limit: RateLimit | null;
  disabled_reason?: string;
  created_at: string;
  updated_at: string;
  stats: WebhookStats;
}

/** A new webhook with its signing secret ("whsec_…"). */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface WebhookCreateParams {
  tenant?: string;
  name: string;
  /** Required unless destination is a broker type. */
  url?: string;
  description?: string;
  events: string[];
  /**
   * Payload filter, e.g. {"data.amount": {"$gte": 100}}; try one with
   * webhooks.filterTest. null (on update) removes it.
   */
  filter?: Record<string, unknown> | null;
  /**
   * JavaScript defining function handler(webhook) that reshapes each request
   * (payload, headers, url, method) or sets cancel; try one with
   * webhooks.transformTest. '' (on update) removes it.
   */
  transform?: string;
  active?: boolean;
  headers?: Record<string, string>;
  secret_headers?: string[];
  destination?: Destination;
  format?: 'envelope' | 'raw';
  integration?: string;
  /**
   * 'hmac-sha256' (default) or 'ed25519': then the answer's secret is the
   * public key (whpk_…) receivers verify with. Changing it on update gives
   * the webhook a new key; the previous one signs during the overlap.
   */
  signature?: 'hmac-sha256' | 'ed25519';
  /**
   * Rate limit, e.g. {per_second: 50}; deliveries wait for it without
   * spending retries. null (on update) removes it.
   */
  rate_limit?: RateLimit | null;
  /** 'fifo' delivers in order per ordering_key, one at a time; 'none' (default) in parallel. */
  ordering?: 'none' | 'fifo';
  /** With 'fifo': a path such as 'data.customer_id'; '' for one sequence. */
  ordering_key?: string;
}

/** The fields to change; absent ones keep their value. */
export interface WebhookUpdateParams extends Partial<WebhookCreateParams> {}

export interface WebhookListParams extends PageParams {
  tenant?: string;
  event_type?: string;
  active?: boolean;
  search?: string;
}

/** A rotated-out secret that still signs until expires_at. */
export interface PreviousSecret {
  secret: string;
  expires_at: string;
}

export interface Secrets {
  secret: string;
  previous?: PreviousSecret[];
}

export interface TestParams {
  /** The event type whose example to send; the webhook's first when absent. */
  event_type?: string;
}

export interface ReplayParams {
  /** RFC 3339: events published since then are delivered again. */
  since: string;
}

export interface ReplayResult {
  /** New pending deliveries. */
  deliveries: number;
}

export interface RecoverParams {
  /** RFC 3339: start of the window (inclusive), by the deliveries' creation time. */
  since: string;
  /** RFC 3339: end of the window (exclusive); now when absent. At most 31 days after since. */
  until?: string;
  /** The states to re-queue: ['failed'], the default and only one. */
  status?: 'failed'[];
  /** Only deliveries of these event types. */
  event_types?: string[];
  /** Only count them. */
  dry_run?: boolean;
}

export interface RecoverResult {
  dry_run: boolean;
  /** Failed deliveries that matched (dry run) or were re-queued. */
  count: number;
  /** Re-queued deliveries; absent on a dry run. */
  requeued?: number;
  since: string;
  until: string;
}

export interface RotatedSecret {
  secret: string;
  previous_expires_at: string;
}

export interface TestResult {
  success: boolean;
  status_code: number;
  destination: string;
  outcome: string;
  answer: string;
  duration_ms: number;
  response_headers: Record<string, string[]>;
  response_body: string;
  response_body_encoding?: string;
  error?: string;
  error_class?: string;
  attempt_id: string;
  event_type: string;
  request_headers: Record<string, string[]>;
  request_body: string;
}

/** The window and bucket size of a health series: durations in whole minutes ("90m", "24h", "7d"). */
export interface StatsParams {
  /** From 1m to 30d; default 24h. */
  since?: string;
  /** From 1m to 1d, at most 1,440 buckets; default picked from since. */
  bucket?: string;
}

/** What a bucket, or a window, counts; test sends are not counted. */
export interface StatsTotals {
  /** Deliveries that succeeded. */
  delivered: number;
  /** Deliveries that finally failed. */
  failed: number;
  /** Attempts that made a request. */
  attempts: number;
  failed_attempts: number;
  /** Attempts that were not their delivery's first. */
  retried: number;
  /** Latency percentiles in milliseconds; null without attempts. */
  p50_ms: number | null;
  p95_ms: number | null;
}

/** One UTC bucket of a health series. */
export interface StatsBucket extends StatsTotals {
  start: string;
}

/** Health over time: every bucket of the window, in order, empty ones too. */
export interface Stats {
  from: string;
  to: string;
  bucket: string;
  buckets: StatsBucket[];
  /** delivered / (delivered + failed) over the window; null when no delivery ended. */
  success_rate: number | null;
  totals: StatsTotals;
}

export interface Attempt {
  id: string;
  delivery_id?: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  number: number;
  test: boolean;
  destination: string;
  outcome: string;
  answer: string;
  started_at: string;
  duration_ms: number;
  url: string;
  request_headers: Record<string, string[]>;
  request_body: string;
  status_code: number;
  response_headers: Record<string, string[]>;
  response_body: string;
  response_body_encoding?: string;
  response_truncated: boolean;
  error_class?: string;
  error?: string;
}

export interface Event {
  id: string;
  tenant: string;
  type: string;
  data: JsonObject;
  idempotency_key?: string;
  timestamp: string;
}

export interface EventSummary extends Event {
  deliveries: Partial<Record<DeliveryStatus, number>>;
}

export interface EventWithDeliveries extends Event {
  deliveries: Delivery[];
  /** With { explain: true }: the webhooks whose payload filter kept the event from them. */
  skipped_by_filter?: FilterSkip[];
}

/** A webhook subscribed to an event's type whose payload filter excluded it. */
export interface FilterSkip {
  webhook_id: string;
  name: string;
  /** The clause of the filter that failed. */
  explanation: string;
}

export interface PublishParams {
  /** A slug from the catalog. */
  type: string;
  /** The payload: any JSON object. */
  data: JsonObject | Record<string, unknown>;
  /** A repeat within the server's window stores nothing and answers with the first event's id. */
  idempotency_key?: string;
  tenant?: string;
}

export interface PublishResult {
  id: string;
  deliveries: number;
  duplicate?: boolean;
}

export interface EventListParams extends PageParams {
  tenant?: string;
  type?: string;
}

export interface Delivery {
  id: string;
  tenant: string;
  event_id: string;
  event_type: string;
  webhook_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code?: number;
  last_error?: string;
  /** Place in its FIFO webhook's order (FIFO webhooks only). */
  sequence?: number;
  /** The event's ordering key value (FIFO webhooks only). */
  ordering_key?: string;
  /** The earlier delivery of its key this one waits for. */
  blocked_by?: string;
  created_at: string;
  updated_at: string;
}

export interface DeliveryWithAttempts extends Delivery {
  attempt_log: Attempt[];
}

export interface DeliveryListParams extends PageParams {
  tenant?: string;
  webhook_id?: string;
  event_id?: string;
  /** One state, or several separated by commas ('failed,pending'). */
  status?: DeliveryStatus | string;
  event_type?: string;
  /** RFC 3339: created at or after. */
  since?: string;
  /** RFC 3339: created before. */
  until?: string;
  /** A delivery or event ID, or the start of one. */
  q?: string;
}

export interface Branding {
  name?: string;
  logo_url?: string;
  /** A CSS hex colour, e.g. "#0a7d5a". */
  accent?: string;
}

export interface Tenant {
  id: string;
  name: string;
  contact_email: string;
  branding: Branding | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
  webhooks: number;
  failing_webhooks: number;
}

export interface TenantCreateParams {
  id: string;
  name?: string;
  contact_email?: string;
  branding?: Branding;
  metadata?: Record<string, string>;
}

export interface TenantUpdateParams {
  /** Accepted only when it is the tenant's own ID (IDs cannot change). */
  id?: string;
  name?: string;
  contact_email?: string;
  /** null gives the tenant the server's look back. */
  branding?: Branding | null;
  metadata?: Record<string, string>;
}

export interface TenantListParams extends PageParams {
  search?: string;
}

export interface PortalSessionParams {
  /** Session length once opened, a Go duration from "1m" to "12h"; default one hour. */
  ttl?: string;
  read_only?: boolean;
  /** Where the portal links back to; its origin must be allowed by the server. */
  return_url?: string;
  /** Exact slugs or prefix globs ("payment_*") the session may subscribe to. */
  event_types?: string[];
}

export interface PortalSession {
  /** Opens the portal for the tenant, once. */
  url: string;
  expires_at: string;
}

export type Scope = 'owner' | 'admin' | 'publish' | 'read';

/** owner: everything, users included; admin: everything but users; viewer: reads only. */
export type Role = 'owner' | 'admin' | 'viewer';

/** A dashboard account. */
export interface User {
  username: string;
  role: Role;
  created_at: string;
  updated_at: string;
  /** A generated password, only in the answer that made it. */
  password?: string;
}

export interface UserCreateParams {
  username: string;
  role: Role;
  /** At least 8 characters; absent to have one generated and returned once. */
  password?: string;
}

export interface UserUpdateParams {
  role?: Role;
  /** A new password; "" to have one generated and returned once. */
  password?: string;
}

export interface APIKey {
  id: string;
  name: string;
  /** The key's first characters, to recognise it. */
  prefix: string;
  scopes: Scope[];
  /** The one tenant the key acts on; absent for a key of every tenant. */
  tenant?: string;
  created_at: string;
  expires_at?: string;
  revoked_at?: string;
  last_used_at?: string;
}

export type AlertKind = 'webhook.failing' | 'webhook.disabled' | 'backlog';

/** Where alerts go: a Slack-compatible incoming webhook or e-mail. */
export interface AlertChannel {
  id: string;
  type: 'slack' | 'email';
  /** A slack channel's URL, masked (it is a secret). */
  url?: string;
  /** An email channel's addresses. */
  to?: string[];
  kinds: AlertKind[];
  /** Only alerts about this tenant's webhooks; absent for every alert. */
  tenant?: string;
  created_at: string;
}

export interface AlertChannelCreateParams {
  type: 'slack' | 'email';
  /** For slack: the incoming-webhook URL. */
  url?: string;
  /** For email: the addresses (the server needs --smtp-url). */
  to?: string[];
  kinds: AlertKind[];
  tenant?: string;
}

/** What sending a test alert did. */
export interface AlertTestResult {
  ok: boolean;
  /** Why the message did not arrive. */
  error?: string;
}

/** A new API key with the key itself ("hkl_…"), shown only this once. */
export interface CreatedKey extends APIKey {
  key: string;
}

export interface KeyCreateParams {
  name: string;
  /** ["admin"] when absent; only scopes the calling key holds. */
  scopes?: Scope[];
  expires_at?: string;
  tenant?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  /** "key:<id> (<name>)", "user:<name>", "portal:<tenant>" or "system". */
  actor: string;
  tenant?: string;
  /** e.g. "webhook.create", "delivery.retry", "key.revoke". */
  action: string;
  target: string;
  detail?: string;
}

export interface AuditListParams extends PageParams {
  /** Entries about one ID. */
  target?: string;
}

export interface FilterTestParams {
  /** The payload filter, e.g. { "data.amount": { "$gte": 100 } }. */
  filter: JsonObject;
  /** The event to try it on ... */
  event?: { type: string; tenant?: string; data: JsonValue };
  /** ... or this event type's example payload. */
  event_type?: string;
}

export interface TransformTestParams {
  /** The transform's JavaScript source. */
  transform: string;
  /** The event to run it on ... */
  event?: { type: string; tenant?: string; data: JsonValue };
  /** ... or this event type's example payload. */
  event_type?: string;
  /** The webhook URL the request starts with (default https://example.com/webhook). */
  url?: string;
  format?: 'envelope' | 'raw';
}

/** The request a delivery would send. */
export interface TransformRequest {
  method: 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  /** The body: a JSON value, or a string when the body is not JSON. */
  payload: JsonValue;
}

export interface TransformError {
  kind: 'syntax' | 'handler' | 'runtime' | 'timeout' | 'memory' | 'stack' | 'result';
  message: string;
  line?: number;
  column?: number;
}

export interface TransformResult {
  /** null when the transform cancelled the delivery or failed. */
  result: TransformRequest | null;
  cancelled: boolean;
  /** Why the run failed, as the attempt log would show it. */
  error: TransformError | null;
  duration_ms: number;
}

export interface FilterResult {
  matches: boolean;
  /** Which clause failed, or that every clause holds. */
  explanation: string;
}

export interface Me {
  key: APIKey;
  server: string;
  version: string;
}

export declare class Hookline {
  constructor(options: HooklineOptions);
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly events: {
    /** Retried on 429/503/connection errors when idempotency_key is set. */
    publish(params: PublishParams): Promise<PublishResult>;
    list(params?: EventListParams): Promise<Page<EventSummary>>;
    listAll(params?: EventListParams): AsyncGenerator<EventSummary, void, undefined>;
    get(id: string): Promise<EventWithDeliveries>;
  };
  readonly webhooks: {
    list(params?: WebhookListParams): Promise<Page<Webhook>>;
    listAll(params?: WebhookListParams): AsyncGenerator<Webhook, void, undefined>;
    get(id: string): Promise<Webhook>;
    create(params: WebhookCreateParams): Promise<CreatedWebhook>;
    update(id: string, params: WebhookUpdateParams): Promise<Webhook>;
    delete(id: string): Promise<void>;
    secret(id: string): Promise<Secrets>;
    rotateSecret(id: string): Promise<RotatedSecret>;
    test(id: string, params?: TestParams): Promise<TestResult>;
    replay(id: string, params: ReplayParams): Promise<ReplayResult>;
    /** Re-queues the webhook's failed deliveries of a window, or counts them (dry_run). */
    recover(id: string, params: RecoverParams): Promise<RecoverResult>;
    attempts(id: string, params?: { limit?: number }): Promise<Attempt[]>;
    /** The webhook's health over time. */
    stats(id: string, params?: StatsParams): Promise<Stats>;
    /** Tries a payload filter; nothing is stored (retried like a GET). */
    filterTest(params: FilterTestParams): Promise<FilterResult>;
    /** Runs a transform as a delivery would; nothing is stored or sent (retried like a GET). */
    transformTest(params: TransformTestParams): Promise<TransformResult>;
  };
  readonly eventTypes: {
    list(): Promise<EventType[]>;
    get(slug: string): Promise<EventType>;
    create(params: EventTypeCreateParams): Promise<EventType>;
    /** Changes or deprecates a type (not Hookline's own hookline.* types). */
    update(slug: string, params: EventTypeUpdateParams): Promise<EventType>;
  };
  readonly deliveries: {
    list(params?: DeliveryListParams): Promise<Page<Delivery>>;
    listAll(params?: DeliveryListParams): AsyncGenerator<Delivery, void, undefined>;
    get(id: string): Promise<DeliveryWithAttempts>;
    retry(id: string): Promise<Delivery>;
  };
  readonly tenants: {
    list(params?: TenantListParams): Promise<Page<Tenant>>;
    listAll(params?: TenantListParams): AsyncGenerator<Tenant, void, undefined>;
    get(id: string): Promise<Tenant>;
    create(params: TenantCreateParams): Promise<Tenant>;
    update(id: string, params: TenantUpdateParams): Promise<Tenant>;
    delete(id: string, options?: { cascade?: boolean }): Promise<void>;
    /** Mints a magic link into the customer portal for the tenant. */
    createPortalSession(id: string, params?: PortalSessionParams): Promise<PortalSession>;
    /** The tenant's health over time, over all its webhooks. */
    stats(id: string, params?: StatsParams): Promise<Stats>;
  };
  readonly keys: {
    /** Every key's metadata, revoked and expired ones included. */
    list(): Promise<APIKey[]>;
    create(params: KeyCreateParams): Promise<CreatedKey>;
    revoke(id: string): Promise<void>;
  };
  /** Dashboard users; needs a key with the owner scope. */
  readonly users: {
    list(): Promise<User[]>;
    get(username: string): Promise<User>;
    create(params: UserCreateParams): Promise<User>;
    update(username: string, params: UserUpdateParams): Promise<User>;
    delete(username: string): Promise<void>;
  };
  readonly alertChannels: {
    list(): Promise<AlertChannel[]>;
    get(id: string): Promise<AlertChannel>;
    create(params: AlertChannelCreateParams): Promise<AlertChannel>;
    delete(id: string): Promise<void>;
    /** Sends a test alert now (one try). */
    test(id: string): Promise<AlertTestResult>;
  };
  readonly auditLog: {
    list(params?: AuditListParams): Promise<Page<AuditEntry>>;
    listAll(params?: AuditListParams): AsyncGenerator<AuditEntry, void, undefined>;
  };
  me(): Promise<Me>;
  /** The whole server's health over time (operators only). */
  stats(params?: StatsParams): Promise<Stats>;
  /**
   * A raw call. template is the route as the OpenAPI document spells it
   * ("/api/v1/webhooks/{id}"), filled (escaped) from params. GETs and
   * retryable calls are retried on 429/503/connection errors.
   */
  request<T = unknown>(
    method: string,
    template: string,
    options?: { params?: Record<string, string>; query?: object; body?: unknown; retryable?: boolean },
  ): Promise<T>;
}

/** One bad part of a request: where (pointer into the body, or query parameter) and what. */
export interface FieldProblem {
  pointer?: string;
  parameter?: string;
  detail: string;
}

export declare class HooklineError extends Error {}

/** A non-2xx answer with its problem JSON. */
export declare class ApiError extends HooklineError {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly instance: string;
  /** The first offending field ("name", "events[1]"); "" when none. */
  readonly field: string;
  /** Every bad part of the request, in the server's order. */
  readonly errors: FieldProblem[];
  readonly requestId: string;
  /** Seconds the server asked to wait (Retry-After); null when none. */
  readonly retryAfter: number | null;
  readonly method: string;
  readonly path: string;
}
export declare class ValidationError extends ApiError {}
export declare class AuthenticationError extends ApiError {}
export declare class NotFoundError extends ApiError {}
export declare class ConflictError extends ApiError {}
export declare class RateLimitError extends ApiError {}

/** No answer: refused, reset, or timed out (timedOut). */
export declare class ConnectionError extends HooklineError {
  readonly method: string;
  readonly path: string;
  readonly timedOut: boolean;
}

export declare class WebhookVerificationError extends HooklineError {}

/** Headers as fetch's Headers, Node's IncomingHttpHeaders or a plain object. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** Verifies Standard Webhooks signatures (v1 HMAC, v1a ed25519) of requests a Hookline webhook sends. */
export declare class Webhook {
  /** secret: "whsec_…" (v1) or a public key "whpk_…" (v1a), or several during a rotation. */
  constructor(secret: string | string[], options?: { toleranceSeconds?: number; now?: () => number });
  /** Checks the raw body against the webhook-* headers; returns the parsed payload or throws WebhookVerificationError. */
  verify<T = JsonObject>(body: string | Uint8Array, headers: HeaderSource): T;
}
