<?php

declare(strict_types=1);

namespace Hookline;

/** Alert channels: Slack-compatible webhooks and e-mail told when an endpoint fails. */
final class AlertChannels
{
    public function __construct(private readonly Client $c)
    {
    }

    /** @return list<array<string, mixed>> every channel, oldest first; Slack URLs masked */
    public function list(): array
    {
        return $this->c->request('GET', '/api/v1/alert-channels')['data'];
    }

    /** @return array<string, mixed> */
    public function get(string $id): array
    {
        return $this->c->request('GET', '/api/v1/alert-channels/{id}', ['id' => $id]);
    }

    /**
     * Adds a channel: type 'slack' with a url, or 'email' with to.
     *
     * @param array{type: string, kinds: list<string>, url?: string, to?: list<string>, tenant?: string} $params
     * @return array<string, mixed>
     */
    public function create(array $params): array
    {
        return $this->c->request('POST', '/api/v1/alert-channels', body: $params);
    }

    public function delete(string $id): void
    {
        $this->c->request('DELETE', '/api/v1/alert-channels/{id}', ['id' => $id]);
    }

    /**
     * Sends a test alert now (one try).
     *
     * @return array{ok: bool, error?: string}
     */
    public function test(string $id): array
    {
        return $this->c->request('POST', '/api/v1/alert-channels/{id}/test', ['id' => $id]);
    }
}
