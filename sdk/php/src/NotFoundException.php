<?php

declare(strict_types=1);

namespace Hookline;

/** 404: no such webhook, event, delivery, event type or tenant. */
class NotFoundException extends ApiException
{
}
