<?php

declare(strict_types=1);

namespace Hookline;

/** Deliveries: one event going to one webhook, with its attempt log. */
final class Deliveries
{
    public function __construct(private readonly Client $c)
    {
    }

    /**
     * One page of deliveries, newest first.
     *
     * @param array{tenant?: string, webhook_id?: string, event_id?: string, status?: string,
     *              limit?: int, cursor?: string} $query
     * @return array{data: list<array<string, mixed>>, next_cursor?: string}
     */
    public function list(array $query = []): array
    {
        return $this->c->request('GET', '/api/v1/deliveries', query: $query);
    }

    /**
     * Every delivery matching $query, page after page.
     *
     * @param array{tenant?: string, webhook_id?: string, event_id?: string, status?: string, limit?: int} $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function listAll(array $query = []): \Generator
    {
        return Client::paginate($this->list(...), $query);
    }

    /** @return array<string, mixed> the delivery with its attempt_log */
    public function get(string $id): array
    {
        return $this->c->request('GET', '/api/v1/deliveries/{id}', ['id' => $id]);
    }

    /**
     * Makes the delivery pending and due now; a ConflictException while an
     * attempt is in flight.
     *
     * @return array<string, mixed>
     */
    public function retry(string $id): array
    {
        return $this->c->request('POST', '/api/v1/deliveries/{id}/retry', ['id' => $id]);
    }
}
