<?php

declare(strict_types=1);

namespace Hookline;

/** 409: a slug or tenant ID that exists, a tenant that has webhooks, ... */
class ConflictException extends ApiException
{
}
