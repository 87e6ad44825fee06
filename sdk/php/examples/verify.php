<?php

// Verifies a captured webhook request, given on stdin as
// {"headers": {...}, "body": "..."}, with WEBHOOK_SECRET:
//
//   WEBHOOK_SECRET=whsec_… php examples/verify.php < request.json
//
// Prints the event type and exits 0 when it is signed; exits 1 with the
// reason when it is not. In a real endpoint: $body = file_get_contents('php://input')
// and $headers = getallheaders().

declare(strict_types=1);

require file_exists(__DIR__ . '/../vendor/autoload.php') ? __DIR__ . '/../vendor/autoload.php' : __DIR__ . '/../tests/autoload.php';

use Hookline\Webhook;
use Hookline\WebhookVerificationException;

$captured = json_decode((string) stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
try {
    $event = (new Webhook((string) getenv('WEBHOOK_SECRET')))->verify($captured['body'], $captured['headers']);
} catch (WebhookVerificationException $e) {
    fwrite(STDERR, 'not verified: ' . $e->getMessage() . "\n");
    exit(1);
}
echo $event['type'], "\n";
