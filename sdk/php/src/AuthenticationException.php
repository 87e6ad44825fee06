<?php

declare(strict_types=1);

namespace Hookline;

/** 401 or 403: the key is missing, unknown, or lacks the scope. */
class AuthenticationException extends ApiException
{
}
