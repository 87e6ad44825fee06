<?php

declare(strict_types=1);

namespace Hookline;

/** The event catalog. */
final class EventTypes
{
    public function __construct(private readonly Client $c)
    {
    }

    /** @return list<array<string, mixed>> every event type, built-in and custom */
    public function list(): array
    {
        return $this->c->request('GET', '/api/v1/event-types')['data'];
    }

    /** @return array<string, mixed> */
    public function get(string $slug): array
    {
        return $this->c->request('GET', '/api/v1/event-types/{slug}', ['slug' => $slug]);
    }

    /**
     * Registers a custom event type.
     *
     * @param array{slug: string, name: string, description?: string, example?: array<string, mixed>,
     *              schema?: array<string, mixed>} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/event-types', body: $params);
    }

    /**
     * Changes the given fields only (name, description, example, schema,
     * deprecated); 'schema' => null removes the schema. Hookline's own
     * hookline.* types cannot be changed.
     *
     * @param array{name?: string, description?: string, example?: array<string, mixed>,
     *              schema?: array<string, mixed>|null, deprecated?: bool} $params
     * @return array<string, mixed>
     */
    public function update(string $slug, array $params): array
    {
        return $this->c->request('PATCH', '/api/v1/event-types/{slug}', ['slug' => $slug], body: $params);
    }
}
