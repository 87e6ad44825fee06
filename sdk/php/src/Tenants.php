<?php

declare(strict_types=1);

namespace Hookline;

/** Tenants (your customers) and their portal links. */
final class Tenants
{
    public function __construct(private readonly Client $c)
    {
    }

    /**
     * One page of tenants in ID order.
     *
     * @param array{search?: string, limit?: int, cursor?: string} $query
     * @return array{data: list<array<string, mixed>>, next_cursor?: string}
     */
    public function list(array $query = []): array
    {
        return $this->c->request('GET', '/api/v1/tenants', query: $query);
    }

    /**
     * Every tenant matching $query, page after page.
     *
     * @param array{search?: string, limit?: int} $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function listAll(array $query = []): \Generator
    {
        return Client::paginate($this->list(...), $query);
    }

    /** @return array<string, mixed> */
    public function get(string $id): array
    {
        return $this->c->request('GET', '/api/v1/tenants/{id}', ['id' => $id]);
    }

    /**
     * @param array{id: string, name?: string, contact_email?: string,
     *              branding?: array{name?: string, logo_url?: string, accent?: string},
     *              metadata?: array<string, string>} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/tenants', body: $params);
    }

    /**
     * Changes the given fields only; 'branding' => null restores the server's look.
     *
     * @param array<string, mixed> $params
     * @return array<string, mixed>
     */
    public function update(string $id, array $params): array
    {
        return $this->c->request('PATCH', '/api/v1/tenants/{id}', ['id' => $id], body: $params);
    }

    /** Deletes a tenant; with $cascade its webhooks too (otherwise a ConflictException while it has some). */
    public function delete(string $id, bool $cascade = false): void
    {
        $this->c->request('DELETE', '/api/v1/tenants/{id}', ['id' => $id], query: $cascade ? ['cascade' => 'true'] : []);
    }

    /**
     * Mints a magic link into the customer portal for the tenant: 'url'
     * opens it once, until 'expires_at'.
     *
     * @param array{ttl?: string, read_only?: bool, return_url?: string, event_types?: list<string>} $params
     *   ttl: a Go duration from "1m" to "12h" (default one hour); return_url: its origin must be
     *   allowed by the server; event_types: slugs or globs ("payment_*") it may subscribe to
     * @return array{url: string, expires_at: string}
     */
    public function createPortalSession(string $id, array $params = []): array
    {
        return $this->c->request('POST', '/api/v1/tenants/{id}/portal-sessions', ['id' => $id], body: $params);
    }

    /**
     * The tenant's health over time, over all its webhooks (as
     * Webhooks::stats); a tenant's key reads its own tenant only.
     *
     * @return array<string, mixed>
     */
    public function stats(string $id, ?string $since = null, ?string $bucket = null): array
    {
        return $this->c->request('GET', '/api/v1/tenants/{id}/stats', ['id' => $id], query: ['since' => $since, 'bucket' => $bucket]);
    }
}
