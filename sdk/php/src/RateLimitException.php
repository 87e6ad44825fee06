<?php

declare(strict_types=1);

namespace Hookline;

/** 429: the key is over its rate limit; $retryAfter says for how long. */
class RateLimitException extends ApiException
{
}
