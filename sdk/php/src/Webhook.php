<?php

declare(strict_types=1);

namespace Hookline;

/**
 * Verifies the signature of requests sent by a Hookline webhook: Standard
 * Webhooks v1, an HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<raw
 * body>" with the secret's bytes.
 *
 *     $payload = (new Webhook(getenv('WEBHOOK_SECRET')))
 *         ->verify(file_get_contents('php://input'), getallheaders());
 */
final class Webhook
{
    private const PREFIX = 'whsec_';

    /** @var list<string> */
    private array $keys = [];

    /**
     * @param string|list<string> $secret "whsec_…", or several during a rotation:
     *        any one matching is enough
     * @param int $tolerance seconds a timestamp may be away from now
     */
    public function __construct(string|array $secret, private readonly int $tolerance = 300)
    {
        $secrets = is_array($secret) ? $secret : [$secret];
        if ($secrets === []) {
            throw new \InvalidArgumentException('Webhook needs a secret');
        }
        foreach ($secrets as $s) {
            $b64 = str_starts_with($s, self::PREFIX) ? substr($s, strlen(self::PREFIX)) : $s;
            $key = base64_decode($b64, true);
            if ($key === false || $key === '') {
                throw new \InvalidArgumentException('the secret is not whsec_ followed by base64');
            }
            $this->keys[] = $key;
        }
    }

    /**
     * Checks the raw body (exactly as received) against the webhook-*
     * headers and returns the decoded JSON payload.
     *
     * @param array<string, string|list<string>> $headers any case of names
     * @param ?int $now the current Unix time, for tests
     * @return array<string, mixed>
     * @throws WebhookVerificationException when the request is not signed with the secret
     *         or its timestamp is more than the tolerance away from now (a replayed capture)
     */
    public function verify(string $body, array $headers, ?int $now = null): array
    {
        $lower = [];
        foreach ($headers as $k => $v) {
            $lower[strtolower((string) $k)] = is_array($v) ? implode(' ', $v) : (string) $v;
        }
        $id = $lower['webhook-id'] ?? '';
        $timestamp = $lower['webhook-timestamp'] ?? '';
        $signatures = $lower['webhook-signature'] ?? '';
        if ($id === '' || $timestamp === '' || $signatures === '') {
            throw new WebhookVerificationException('missing webhook-id, webhook-timestamp or webhook-signature header');
        }
        if (!ctype_digit($timestamp)) {
            throw new WebhookVerificationException('webhook-timestamp is not a number');
        }
        $now ??= time();
        if ((int) $timestamp < $now - $this->tolerance) {
            throw new WebhookVerificationException('the timestamp is too old');
        }
        if ((int) $timestamp > $now + $this->tolerance) {
            throw new WebhookVerificationException('the timestamp is in the future');
        }
        $signed = "{$id}.{$timestamp}.{$body}";
        foreach ($this->keys as $key) {
            $expected = hash_hmac('sha256', $signed, $key, true);
            foreach (explode(' ', $signatures) as $entry) {
                $parts = explode(',', $entry, 2);
                if (count($parts) !== 2 || $parts[0] !== 'v1') {
                    continue;
                }
                $given = base64_decode($parts[1], true);
                if ($given !== false && hash_equals($expected, $given)) {
                    $payload = json_decode($body, true);
                    if (!is_array($payload)) {
                        throw new WebhookVerificationException('the body is not a JSON object');
                    }
                    return $payload;
                }
            }
        }
        throw new WebhookVerificationException('no signature matches');
    }
}
