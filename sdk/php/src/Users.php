<?php

declare(strict_types=1);

namespace Hookline;

/** Dashboard users (roles owner, admin, viewer); every call needs a key with the owner scope. */
final class Users
{
    public function __construct(private readonly Client $c)
    {
    }

    /** @return list<array<string, mixed>> every user, by username */
    public function list(): array
    {
        return $this->c->request('GET', '/api/v1/users')['data'];
    }

    /** @return array<string, mixed> */
    public function get(string $username): array
    {
        return $this->c->request('GET', '/api/v1/users/{id}', ['id' => $username]);
    }

    /**
     * Creates a user; without 'password' one is generated and returned once in 'password'.
     *
     * @param array{username: string, role: string, password?: string} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/users', body: $params);
    }

    /**
     * Changes role and/or password; 'password' => '' generates one, returned once.
     *
     * @param array{role?: string, password?: string} $params
     * @return array<string, mixed>
     */
    public function update(string $username, array $params): array
    {
        return $this->c->request('PATCH', '/api/v1/users/{id}', ['id' => $username], body: $params);
    }

    public function delete(string $username): void
    {
        $this->c->request('DELETE', '/api/v1/users/{id}', ['id' => $username]);
    }
}
