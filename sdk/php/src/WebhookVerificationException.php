<?php

declare(strict_types=1);

namespace Hookline;

/** A webhook request whose signature does not verify. */
class WebhookVerificationException extends HooklineException
{
}
