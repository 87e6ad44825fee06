<?php

declare(strict_types=1);

namespace Hookline;

/** The request got no answer: refused, reset, or timed out. */
class ConnectionException extends HooklineException
{
    public function __construct(string $message, public readonly bool $timedOut = false)
    {
        parent::__construct($message);
    }
}
