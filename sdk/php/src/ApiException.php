<?php

declare(strict_types=1);

namespace Hookline;

/**
 * An error answer from the server, with its RFC 9457 problem JSON. Every
 * non-2xx answer is thrown as one (or a subclass by status), also when the
 * body is not problem JSON (a proxy's HTML page): then the title is the
 * status line's reason and the detail the body's start.
 */
class ApiException extends HooklineException
{
    private const CLASSES = [
        400 => ValidationException::class,
        401 => AuthenticationException::class,
        403 => AuthenticationException::class,
        404 => NotFoundException::class,
        409 => ConflictException::class,
        422 => ValidationException::class,
        429 => RateLimitException::class,
    ];

    /**
     * @param list<array{pointer?: string, parameter?: string, detail: string}> $errors
     *        every bad part of the request, in the order the server found them
     * @param string $field the first offending field ("name", "events[1]"); "" when none
     * @param ?float $retryAfter seconds the server asked to wait (Retry-After)
     */
    final public function __construct(
        public readonly int $status,
        public readonly string $method,
        public readonly string $path,
        public readonly string $title = '',
        public readonly string $detail = '',
        public readonly string $type = 'about:blank',
        public readonly string $instance = '',
        public readonly string $field = '',
        public readonly array $errors = [],
        public readonly string $requestId = '',
        public readonly ?float $retryAfter = null,
    ) {
        parent::__construct($this->describe(), $status);
    }

    private function describe(): string
    {
        $s = "hookline: {$this->method} {$this->path}: {$this->status}";
        if ($this->title !== '') {
            $s .= " {$this->title}";
        }
        if (count($this->errors) > 1) {
            $parts = [];
            foreach ($this->errors as $p) {
                $place = isset($p['parameter']) && $p['parameter'] !== '' ? '?' . $p['parameter'] : ($p['pointer'] ?? '');
                $parts[] = " {$place}: " . ($p['detail'] ?? '');
            }
            $s .= ':' . implode(';', $parts);
        } elseif ($this->detail !== '') {
            $s .= ": {$this->detail}";
        }
        return $s;
    }

    /**
     * Builds the exception of a non-2xx answer.
     *
     * @param array<string, string> $headers lower-case names
     */
    public static function fromResponse(string $method, string $path, int $status, string $reason, array $headers, string $body): self
    {
        $problem = [];
        $ctype = trim(explode(';', $headers['content-type'] ?? '')[0]);
        if ($ctype === 'application/problem+json' || $ctype === 'application/json') {
            $decoded = json_decode($body, true);
            if (is_array($decoded) && !array_is_list($decoded)) {
                $problem = $decoded;
            }
        }
        if ($problem === []) {
            $text = trim((string) preg_replace('/\s+/u', ' ', $body));
            // Cut at 200 characters (not bytes); mbstring is not required.
            $problem = ['detail' => (string) preg_replace('/^(.{200}).+$/us', '$1…', $text)];
        }
        $str = static fn (string $k): string => is_string($problem[$k] ?? null) ? $problem[$k] : '';
        $errors = [];
        if (is_array($problem['errors'] ?? null)) {
            foreach ($problem['errors'] as $e) {
                if (is_array($e)) {
                    $errors[] = $e;
                }
            }
        }
        $class = self::CLASSES[$status] ?? self::class;
        return new $class(
            status: $status,
            method: $method,
            path: $path,
            title: $str('title') !== '' ? $str('title') : $reason,
            detail: $str('detail'),
            type: $str('type') !== '' ? $str('type') : 'about:blank',
            instance: $str('instance'),
            field: $str('field'),
            errors: $errors,
            requestId: $str('request_id') !== '' ? $str('request_id') : ($headers['x-request-id'] ?? ''),
            retryAfter: self::parseRetryAfter($headers['retry-after'] ?? null),
        );
    }

    /** Seconds to wait from a Retry-After header (seconds or HTTP date); null when absent. */
    public static function parseRetryAfter(?string $value): ?float
    {
        if ($value === null || trim($value) === '') {
            return null;
        }
        $value = trim($value);
        if (ctype_digit($value)) {
            return (float) $value;
        }
        $at = strtotime($value);
        return $at === false ? null : (float) max(0, $at - time());
    }
}
