<?php

declare(strict_types=1);

namespace Hookline;

/** Publishing and reading events. */
final class Events
{
    public function __construct(private readonly Client $c)
    {
    }

    /**
     * Publishes an event. With an idempotency key the call is retried like
     * a GET: the server stores a repeat only once and answers it with
     * duplicate: true and the original id.
     *
     * @param array<string, mixed> $data the payload (a JSON object)
     * @return array{id: string, deliveries: int, duplicate?: bool}
     */
    public function publish(string $type, array $data, ?string $idempotencyKey = null, ?string $tenant = null): array
    {
        $body = ['type' => $type, 'data' => (object) $data];
        if ($idempotencyKey !== null && $idempotencyKey !== '') {
            $body['idempotency_key'] = $idempotencyKey;
        }
        if ($tenant !== null && $tenant !== '') {
            $body['tenant'] = $tenant;
        }
        return $this->c->request('POST', '/api/v1/events', body: $body, retryable: isset($body['idempotency_key']));
    }

    /**
     * One page of events, newest first.
     *
     * @param array{tenant?: string, type?: string, limit?: int, cursor?: string} $query
     * @return array{data: list<array<string, mixed>>, next_cursor?: string}
     */
    public function list(array $query = []): array
    {
        return $this->c->request('GET', '/api/v1/events', query: $query);
    }

    /**
     * Every event matching $query, page after page.
     *
     * @param array{tenant?: string, type?: string, limit?: int} $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function listAll(array $query = []): \Generator
    {
        return Client::paginate($this->list(...), $query);
    }

    /** @return array<string, mixed> the event with its deliveries */
    public function get(string $id): array
    {
        return $this->c->request('GET', '/api/v1/events/{id}', ['id' => $id]);
    }
}
