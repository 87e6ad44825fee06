<?php

declare(strict_types=1);

namespace Hookline;

/** Who changed what. */
final class AuditLog
{
    public function __construct(private readonly Client $c)
    {
    }

    /**
     * One page of entries, newest first.
     *
     * @param array{target?: string, limit?: int, cursor?: string} $query
     * @return array{data: list<array<string, mixed>>, next_cursor?: string}
     */
    public function list(array $query = []): array
    {
        return $this->c->request('GET', '/api/v1/audit-log', query: $query);
    }

    /**
     * Every entry matching $query, page after page.
     *
     * @param array{target?: string, limit?: int} $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function listAll(array $query = []): \Generator
    {
        return Client::paginate($this->list(...), $query);
    }
}
