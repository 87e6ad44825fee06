<?php

declare(strict_types=1);

namespace Hookline;

/**
 * A client of one Hookline server's REST API, over PHP's HTTP streams (no
 * extension beyond json needed). Resources: $client->events, ->webhooks,
 * ->eventTypes, ->deliveries, ->tenants, ->keys, ->users, ->alertChannels, ->auditLog. Field names are the
 * API's own, in
 * requests and answers (decoded as associative arrays).
 *
 * GET calls, and publish with an idempotency key, are retried on 429, 503
 * and connection errors: after Retry-After when the server sent one,
 * otherwise with an exponential back-off.
 */
final class Client
{
    public const VERSION = '0.1.0';

    /** Only these answers mean "not done, try later". */
    private const RETRY_STATUSES = [429, 503];

    public readonly string $baseUrl;
    public readonly string $userAgent;
    public readonly Events $events;
    public readonly Webhooks $webhooks;
    public readonly EventTypes $eventTypes;
    public readonly Deliveries $deliveries;
    public readonly Tenants $tenants;
    public readonly Keys $keys;
    public readonly Users $users;
    public readonly AlertChannels $alertChannels;
    public readonly AuditLog $auditLog;

    private float $timeout;
    private int $maxRetries;
    private float $maxRetryDelay;
    /** @var callable(string, string, array<string, string>, ?string, float): array{int, string, array<string, string>, string} */
    private $transport;
    /** @var callable(float): void */
    private $sleep;

    /**
     * @param array{timeout?: float, max_retries?: int, max_retry_delay?: float, user_agent?: string,
     *              transport?: callable, sleep?: callable} $options
     *   timeout: seconds each request may take (default 30); max_retries: repeats of a
     *   retryable call (default 2); max_retry_delay: a longer Retry-After is not waited
     *   for (default 60); user_agent: put in front of the SDK's own; transport and sleep:
     *   replacements for tests.
     */
    public function __construct(string $baseUrl, private readonly string $apiKey = '', array $options = [])
    {
        if ($baseUrl === '') {
            throw new \InvalidArgumentException('Hookline needs a base URL');
        }
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->timeout = (float) ($options['timeout'] ?? 30.0);
        $this->maxRetries = (int) ($options['max_retries'] ?? 2);
        $this->maxRetryDelay = (float) ($options['max_retry_delay'] ?? 60.0);
        $own = 'hookline-php/' . self::VERSION . ' php/' . PHP_VERSION;
        $this->userAgent = isset($options['user_agent']) ? $options['user_agent'] . ' ' . $own : $own;
        $this->transport = $options['transport'] ?? self::streamTransport(...);
        $this->sleep = $options['sleep'] ?? static function (float $s): void {
            usleep((int) ($s * 1e6));
        };
        $this->events = new Events($this);
        $this->webhooks = new Webhooks($this);
        $this->eventTypes = new EventTypes($this);
        $this->deliveries = new Deliveries($this);
        $this->tenants = new Tenants($this);
        $this->keys = new Keys($this);
        $this->users = new Users($this);
        $this->alertChannels = new AlertChannels($this);
        $this->auditLog = new AuditLog($this);
    }

    /** @return array<string, mixed> the key in use and the server's version */
    public function me(): array
    {
        return $this->request('GET', '/api/v1/me');
    }

    /**
     * The whole server's health over time (operators only), as
     * Webhooks::stats.
     *
     * @return array<string, mixed>
     */
    public function stats(?string $since = null, ?string $bucket = null): array
    {
        return $this->request('GET', '/api/v1/stats', query: ['since' => $since, 'bucket' => $bucket]);
    }

    /**
     * Sends one API call and returns its decoded JSON (null for 204).
     *
     * @param string $template the route as the OpenAPI document spells it
     *        ("/api/v1/webhooks/{id}"), filled (escaped) from $params
     * @param array<string, string> $params
     * @param array<string, mixed> $query
     * @param ?bool $retryable default: only GET
     * @throws ApiException|ConnectionException
     */
    public function request(
        string $method,
        string $template,
        array $params = [],
        array $query = [],
        mixed $body = null,
        ?bool $retryable = null,
    ): mixed {
        $retryable ??= $method === 'GET';
        $path = self::expand($template, $params);
        $url = $this->baseUrl . $path;
        $qs = self::encodeQuery($query);
        if ($qs !== '') {
            $url .= '?' . $qs;
        }
        $headers = ['Accept' => 'application/json', 'User-Agent' => $this->userAgent];
        if ($this->apiKey !== '') {
            $headers['Authorization'] = 'Bearer ' . $this->apiKey;
        }
        $payload = null;
        if ($body !== null) {
            // An empty PHP array is an empty JSON object here: every body is one.
            $payload = $body === [] ? '{}' : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
            $headers['Content-Type'] = 'application/json';
        }
        for ($attempt = 0; ; $attempt++) {
            $canRetry = $retryable && $attempt < $this->maxRetries;
            try {
                [$status, $reason, $respHeaders, $text] = ($this->transport)($method, $url, $headers, $payload, $this->timeout);
            } catch (ConnectionException $e) {
                // A timed-out call already waited its whole budget; only
                // fast failures (refused, reset) are retried.
                if ($canRetry && !$e->timedOut) {
                    ($this->sleep)(self::backoff($attempt));
                    continue;
                }
                throw new ConnectionException("hookline: {$method} {$path}: " . $e->getMessage(), $e->timedOut);
            }
            if ($status >= 200 && $status <= 299) {
                if ($status === 204 || $text === '') {
                    return null;
                }
                try {
                    return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
                } catch (\JsonException $e) {
                    // A proxy's HTML page with a 200, say: not the API answering.
                    throw new HooklineException("hookline: {$method} {$path}: the answer (status {$status}) is not JSON", 0, $e);
                }
            }
            $err = ApiException::fromResponse($method, $path, $status, $reason, $respHeaders, $text);
            if ($canRetry && in_array($status, self::RETRY_STATUSES, true)) {
                $wait = $err->retryAfter ?? self::backoff($attempt);
                // A wait longer than the caller allows is theirs to decide on.
                if ($wait <= $this->maxRetryDelay) {
                    ($this->sleep)($wait);
                    continue;
                }
            }
            throw $err;
        }
    }

    /**
     * Yields every item of a list, fetching a page (with $fetch, given the
     * query) only when needed. A cursor seen before ends the walk: a
     * correct server never sends one, but looping forever on a broken one
     * is worse.
     *
     * @param callable(array<string, mixed>): array<string, mixed> $fetch
     * @param array<string, mixed> $query
     * @return \Generator<int, array<string, mixed>>
     */
    public static function paginate(callable $fetch, array $query): \Generator
    {
        $seen = [];
        while (true) {
            $page = $fetch($query);
            foreach ($page['data'] ?? [] as $item) {
                yield $item;
            }
            $cursor = $page['next_cursor'] ?? '';
            if ($cursor === '' || isset($seen[$cursor])) {
                return;
            }
            $seen[$cursor] = true;
            $query['cursor'] = $cursor;
        }
    }

    /**
     * Fills a route template's {name} placeholders, escaping each value so
     * an ID can never change the route. Routes are written as the OpenAPI
     * document spells them, which the coverage test in e2e/sdk_test.go
     * relies on.
     *
     * @param array<string, string> $params
     */
    private static function expand(string $template, array $params): string
    {
        return (string) preg_replace_callback('/\{(\w+)\}/', static function (array $m) use ($template, $params): string {
            $v = (string) ($params[$m[1]] ?? '');
            if ($v === '') {
                throw new \InvalidArgumentException("{$template}: {$m[1]} is required");
            }
            return rawurlencode($v);
        }, $template);
    }

    /** @param array<string, mixed> $query */
    private static function encodeQuery(array $query): string
    {
        $pairs = [];
        foreach ($query as $k => $v) {
            if ($v === null || $v === '') {
                continue;
            }
            if (is_bool($v)) {
                $v = $v ? 'true' : 'false';
            }
            $pairs[$k] = (string) $v;
        }
        return http_build_query($pairs, '', '&', PHP_QUERY_RFC3986);
    }

    private static function backoff(int $attempt): float
    {
        $base = min(8.0, 0.5 * 2 ** $attempt);
        return $base / 2 + mt_rand() / mt_getrandmax() * $base / 2;
    }

    /**
     * Sends a request with PHP's http stream wrapper.
     *
     * @param array<string, string> $headers
     * @return array{int, string, array<string, string>, string} status, reason, lower-case headers, body
     */
    private static function streamTransport(string $method, string $url, array $headers, ?string $body, float $timeout): array
    {
        $lines = ['Connection: close'];
        foreach ($headers as $k => $v) {
            $lines[] = "{$k}: {$v}";
        }
        $ctx = stream_context_create(['http' => [
            'method' => $method,
            'header' => implode("\r\n", $lines),
            'content' => $body ?? '',
            'ignore_errors' => true, // error answers carry the problem JSON
            'timeout' => $timeout,
            'follow_location' => 0,
            'protocol_version' => 1.1,
        ]]);
        // fopen reports why it failed as a warning; catch it here, also in
        // applications whose error handler turns warnings into exceptions.
        $warning = 'no answer';
        set_error_handler(static function (int $no, string $msg) use (&$warning): bool {
            $warning = (string) preg_replace('/^fopen\([^)]*\): /', '', $msg);
            return true;
        });
        $start = microtime(true);
        try {
            $h = fopen($url, 'rb', false, $ctx);
        } finally {
            restore_error_handler();
        }
        if ($h === false) {
            // A status line that never came reads "HTTP request failed!",
            // as does a closed connection: the time spent tells them apart.
            $timedOut = str_contains($warning, 'timed out') || microtime(true) - $start >= $timeout;
            throw new ConnectionException($timedOut ? "no answer within {$timeout} s" : $warning, $timedOut);
        }
        try {
            $meta = stream_get_meta_data($h);
            $text = stream_get_contents($h);
            if ($text === false || stream_get_meta_data($h)['timed_out']) {
                throw new ConnectionException("no answer within {$timeout} s", true);
            }
        } finally {
            fclose($h);
        }
        $status = 0;
        $reason = '';
        $respHeaders = [];
        foreach ($meta['wrapper_data'] ?? [] as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})\s*(.*)$#', $line, $m)) {
                // A new status line (after a 100 Continue) starts over.
                $status = (int) $m[1];
                $reason = trim($m[2]);
                $respHeaders = [];
            } elseif (str_contains($line, ':')) {
                [$k, $v] = explode(':', $line, 2);
                $respHeaders[strtolower(trim($k))] = trim($v);
            }
        }
        return [$status, $reason, $respHeaders, $text];
    }
}
