<?php

declare(strict_types=1);

namespace Hookline;

/** Webhooks: the endpoints receiving the events they subscribe to. */
final class Webhooks
{
    public function __construct(private readonly Client $c)
    {
    }

    /**
     * One page of webhooks, newest first.
     *
     * @param array{tenant?: string, event_type?: string, active?: bool, search?: string,
     *              limit?: int, cursor?: string} $query
     * @return array{data: list<array<string, mixed>>, next_cursor?: string}
     */
    public function list(array $query = []): array
    {
        return $this->c->request('GET', '/api/v1/webhooks', query: $query);
    }

    /**
     * Every webhook matching $query, page after page.
     *
     * @param array{tenant?: string, event_type?: string, active?: bool, search?: string, limit?: int} $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function listAll(array $query = []): \Generator
    {
        return Client::paginate($this->list(...), $query);
    }

    /** @return array<string, mixed> */
    public function get(string $id): array
    {
        return $this->c->request('GET', '/api/v1/webhooks/{id}', ['id' => $id]);
    }

    /**
     * Creates a webhook; the answer carries its signing secret ("whsec_…").
     * A broker destination (Destination::kafka(…), …) needs no url.
     *
     * @phpstan-import-type DestinationShape from Destination
     * @param array{name: string, url?: string, events: list<string>, tenant?: string, description?: string,
     *              active?: bool, headers?: array<string, string>, secret_headers?: list<string>,
     *              format?: string, integration?: string, destination?: DestinationShape} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/webhooks', body: $params);
    }

    /**
     * Changes the given fields only.
     *
     * @param array<string, mixed> $params
     * @return array<string, mixed>
     */
    public function update(string $id, array $params): array
    {
        return $this->c->request('PATCH', '/api/v1/webhooks/{id}', ['id' => $id], body: $params);
    }

    public function delete(string $id): void
    {
        $this->c->request('DELETE', '/api/v1/webhooks/{id}', ['id' => $id]);
    }

    /** @return array{secret: string, previous?: list<array{secret: string, expires_at: string}>} */
    public function secret(string $id): array
    {
        return $this->c->request('GET', '/api/v1/webhooks/{id}/secret', ['id' => $id]);
    }

    /** @return array{secret: string, previous_expires_at: string} */
    public function rotateSecret(string $id): array
    {
        return $this->c->request('POST', '/api/v1/webhooks/{id}/rotate-secret', ['id' => $id]);
    }

    /**
     * Sends an event type's example now and returns the receiver's answer.
     *
     * @return array<string, mixed>
     */
    public function test(string $id, ?string $eventType = null): array
    {
        $body = $eventType === null ? [] : ['event_type' => $eventType];
        return $this->c->request('POST', '/api/v1/webhooks/{id}/test', ['id' => $id], body: $body);
    }

    /**
     * Delivers again the events published since an RFC 3339 time.
     *
     * @return array{deliveries: int}
     */
    public function replay(string $id, string $since): array
    {
        return $this->c->request('POST', '/api/v1/webhooks/{id}/replay', ['id' => $id], body: ['since' => $since]);
    }

    /**
     * Re-queues the webhook's failed deliveries created in a window (RFC 3339
     * times; until defaults to now, at most 31 days after since), each with
     * the whole retry schedule; with dryRun it only counts them.
     *
     * @param list<string>|null $eventTypes
     * @return array{dry_run: bool, count: int, requeued?: int, since: string, until: string}
     */
    public function recover(string $id, string $since, ?string $until = null, ?array $eventTypes = null, bool $dryRun = false): array
    {
        $body = ['since' => $since];
        if ($until !== null) {
            $body['until'] = $until;
        }
        if ($eventTypes !== null) {
            $body['event_types'] = $eventTypes;
        }
        if ($dryRun) {
            $body['dry_run'] = true;
        }
        return $this->c->request('POST', '/api/v1/webhooks/{id}/recover', ['id' => $id], body: $body);
    }

    /**
     * Tries a payload filter on an event or an event type's example;
     * nothing is stored, so it is retried like a GET.
     *
     * @param array<string, mixed> $filter e.g. ['data.amount' => ['$gte' => 100]]
     * @param ?array{type: string, data: mixed, tenant?: string} $event
     * @return array{matches: bool, explanation: string}
     */
    public function filterTest(array $filter, ?array $event = null, ?string $eventType = null): array
    {
        $body = ['filter' => (object) $filter];
        if ($event !== null) {
            $body['event'] = $event;
        }
        if ($eventType !== null) {
            $body['event_type'] = $eventType;
        }
        return $this->c->request('POST', '/api/v1/webhooks/filter-test', body: $body, retryable: true);
    }

    /**
     * Runs a transform (JavaScript defining handler(webhook)) on an event or
     * an event type's example as a delivery to $url would; nothing is stored
     * or sent, so it is retried like a GET.
     *
     * @param ?array{type: string, data: mixed, tenant?: string} $event
     * @return array{result: ?array<string, mixed>, cancelled: bool, error: ?array<string, mixed>, duration_ms: float}
     */
    public function transformTest(string $transform, ?array $event = null, ?string $eventType = null, ?string $url = null): array
    {
        $body = ['transform' => $transform];
        if ($event !== null) {
            $body['event'] = $event;
        }
        if ($eventType !== null) {
            $body['event_type'] = $eventType;
        }
        if ($url !== null) {
            $body['url'] = $url;
        }
        return $this->c->request('POST', '/api/v1/webhooks/transform-test', body: $body, retryable: true);
    }

    /** @return list<array<string, mixed>> the most recent attempts, tests included */
    public function attempts(string $id, ?int $limit = null): array
    {
        return $this->c->request('GET', '/api/v1/webhooks/{id}/attempts', ['id' => $id], query: ['limit' => $limit])['data'];
    }

    /**
     * The webhook's health over time: every UTC bucket of the window with
     * delivered, failed, attempts, failed_attempts, retried, p50_ms and
     * p95_ms, the window's success_rate and totals.
     *
     * @param ?string $since from "1m" to "30d" in whole minutes (default "24h")
     * @param ?string $bucket from "1m" to "1d" (default picked from $since)
     * @return array<string, mixed>
     */
    public function stats(string $id, ?string $since = null, ?string $bucket = null): array
    {
        return $this->c->request('GET', '/api/v1/webhooks/{id}/stats', ['id' => $id], query: ['since' => $since, 'bucket' => $bucket]);
    }
}
