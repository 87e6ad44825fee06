<?php

declare(strict_types=1);

namespace Hookline;

/**
 * Verifies the signature of requests sent by a Hookline webhook: Standard
 * Webhooks signatures over "<webhook-id>.<webhook-timestamp>.<raw body>",
 * v1 (HMAC-SHA256 with a "whsec_" secret) and v1a (ed25519 with a "whpk_"
 * public key; needs PHP's sodium extension, built into most PHP builds).
 *
 *     $payload = (new Webhook(getenv('WEBHOOK_SECRET')))
 *         ->verify(file_get_contents('php://input'), getallheaders());
 */
final class Webhook
{
    private const PREFIX = 'whsec_';
    private const PUBLIC_PREFIX = 'whpk_';

    /** @var list<string> */
    private array $keys = [];
    /** @var list<string> */
    private array $publicKeys = [];

    /**
     * @param string|list<string> $secret "whsec_…" or a public key "whpk_…", or
     *        several during a rotation: any one matching is enough
     * @param int $tolerance seconds a timestamp may be away from now
     */
    public function __construct(string|array $secret, private readonly int $tolerance = 300)
    {
        $secrets = is_array($secret) ? $secret : [$secret];
        if ($secrets === []) {
            throw new \InvalidArgumentException('Webhook needs a secret');
        }
        foreach ($secrets as $s) {
            if (str_starts_with($s, self::PUBLIC_PREFIX)) {
                $key = base64_decode(substr($s, strlen(self::PUBLIC_PREFIX)), true);
                if ($key === false || strlen($key) !== 32) {
                    throw new \InvalidArgumentException('the public key is not whpk_ followed by 32 bytes of base64');
                }
                if (!function_exists('sodium_crypto_sign_verify_detached')) {
                    throw new \InvalidArgumentException('verifying whpk_ (ed25519) signatures needs the sodium extension');
                }
                $this->publicKeys[] = $key;
                continue;
            }
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
        if (!$this->matches("{$id}.{$timestamp}.{$body}", $signatures)) {
            throw new WebhookVerificationException('no signature matches');
        }
        $payload = json_decode($body, true);
        if (!is_array($payload)) {
            throw new WebhookVerificationException('the body is not a JSON object');
        }
        return $payload;
    }

    private function matches(string $signed, string $signatures): bool
    {
        $macs = array_map(static fn (string $key): string => hash_hmac('sha256', $signed, $key, true), $this->keys);
        foreach (explode(' ', $signatures) as $entry) {
            $parts = explode(',', $entry, 2);
            if (count($parts) !== 2 || ($given = base64_decode($parts[1], true)) === false) {
                continue;
            }
            if ($parts[0] === 'v1') {
                foreach ($macs as $mac) {
                    if (hash_equals($mac, $given)) {
                        return true;
                    }
                }
            } elseif ($parts[0] === 'v1a' && strlen($given) === SODIUM_CRYPTO_SIGN_BYTES) {
                foreach ($this->publicKeys as $key) {
                    try {
                        if (sodium_crypto_sign_verify_detached($given, $signed, $key)) {
                            return true;
                        }
                    } catch (\SodiumException) {
                        // A malformed key or signature matches nothing.
                    }
                }
            }
        }
        return false;
    }
}
