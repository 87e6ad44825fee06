<?php

declare(strict_types=1);

namespace Hookline;

/** 400 or 422: the request was malformed or not acceptable; see $errors. */
class ValidationException extends ApiException
{
}
