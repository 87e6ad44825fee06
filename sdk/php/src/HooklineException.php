<?php

declare(strict_types=1);

namespace Hookline;

/** Base class of every exception this package throws. */
class HooklineException extends \RuntimeException
{
}
