<?php

// What Composer's PSR-4 autoloader does for this package (composer.json:
// "Hookline\\" => "src/"), so the tests and examples run with plain php.

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'Hookline\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
