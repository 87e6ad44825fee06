<?php

// Publishes one event and prints its id:
//
//   HOOKLINE_URL=http://127.0.0.1:8080 HOOKLINE_API_KEY=hkl_… \
//     php examples/publish.php customer_created '{"id": 42, "email": "ada@example.com"}'
//
// HOOKLINE_TENANT, when set, names the tenant the event belongs to.

declare(strict_types=1);

// Composer's autoloader when installed; the package's own otherwise.
require file_exists(__DIR__ . '/../vendor/autoload.php') ? __DIR__ . '/../vendor/autoload.php' : __DIR__ . '/../tests/autoload.php';

use Hookline\ApiException;
use Hookline\Client;

if ($argc !== 3) {
    fwrite(STDERR, "usage: php publish.php TYPE JSON\n");
    exit(2);
}
$hookline = new Client((string) getenv('HOOKLINE_URL'), (string) getenv('HOOKLINE_API_KEY'));
try {
    // A key makes the call safe to retry: the server stores it once.
    $res = $hookline->events->publish(
        $argv[1],
        json_decode($argv[2], true, 512, JSON_THROW_ON_ERROR),
        idempotencyKey: bin2hex(random_bytes(16)),
        tenant: getenv('HOOKLINE_TENANT') ?: null,
    );
} catch (ApiException $e) {
    foreach ($e->errors as $p) {
        fwrite(STDERR, ($p['pointer'] ?? '?' . ($p['parameter'] ?? '')) . ': ' . $p['detail'] . "\n");
    }
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(1);
}
echo $res['id'], "\n";
