<?php

declare(strict_types=1);

namespace Hookline;

/** API keys: their metadata; the key itself is shown only when created. */
final class Keys
{
    public function __construct(private readonly Client $c)
    {
    }

    /** @return list<array<string, mixed>> every key, revoked and expired ones included */
    public function list(): array
    {
        return $this->c->request('GET', '/api/v1/keys')['data'];
    }

    /**
     * Creates an API key; the answer's 'key' ("hkl_…") is shown only this once.
     *
     * @param array{name: string, scopes?: list<string>, tenant?: string, expires_at?: string} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/keys', body: $params);
    }

    public function revoke(string $id): void
    {
        $this->c->request('DELETE', '/api/v1/keys/{id}', ['id' => $id]);
    }
}
