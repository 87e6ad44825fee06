<?php

// A WordPress-flavoured publisher: what a plugin on a WordPress network
// does to send customer_created to Hookline when a customer signs up. It
// runs without WordPress too (small stand-ins for add_action, do_action
// and get_option below), publishing for one made-up sign-up:
//
//   HOOKLINE_URL=http://127.0.0.1:8080 HOOKLINE_API_KEY=hkl_… php examples/wordpress.php
//
// It prints the event id once per hook run; the sign-up is run twice, as a
// retried request would, and the idempotency key makes the second one the
// same event ("duplicate").

declare(strict_types=1);

// The SDK: Composer's autoloader in a real plugin (composer require
// hookline/hookline); here, the SDK in this repository.
$sdk = __DIR__ . '/../../sdk/php';
require file_exists($sdk . '/vendor/autoload.php') ? $sdk . '/vendor/autoload.php' : $sdk . '/tests/autoload.php';

use Hookline\ApiException;
use Hookline\Client;
use Hookline\ConnectionException;

// --- stand-ins when WordPress is not loaded ------------------------------

if (!function_exists('add_action')) {
    /** @var array<string, list<array{callable, int}>> */
    $GLOBALS['hookline_example_actions'] = [];

    function add_action(string $hook, callable $fn, int $priority = 10, int $args = 1): void
    {
        $GLOBALS['hookline_example_actions'][$hook][] = [$fn, $args];
    }

    function do_action(string $hook, mixed ...$args): void
    {
        foreach ($GLOBALS['hookline_example_actions'][$hook] ?? [] as [$fn, $n]) {
            $fn(...array_slice($args, 0, $n));
        }
    }

    function get_option(string $name): string
    {
        return match ($name) {
            'hookline_url' => (string) getenv('HOOKLINE_URL'),
            'hookline_api_key' => (string) getenv('HOOKLINE_API_KEY'),
            'hookline_tenant' => (string) (getenv('HOOKLINE_TENANT') ?: ''),
            default => '',
        };
    }
}

// --- the plugin ----------------------------------------------------------

/** One client per request; the URL and key are the plugin's settings. */
function hookline(): Client
{
    static $client = null;
    return $client ??= new Client((string) get_option('hookline_url'), (string) get_option('hookline_api_key'), [
        'timeout' => 5, // never hold a sign-up page for long
        'user_agent' => 'my-network-plugin/1.0',
    ]);
}

/**
 * Publishes customer_created for a new user. The idempotency key names the
 * customer, so a retried request or a re-run hook publishes it only once.
 *
 * @param array<string, mixed> $userdata
 */
function hookline_customer_created(int $userId, array $userdata = []): void
{
    $payload = [
        'customer_id' => $userId,
        'customer_name' => trim(($userdata['first_name'] ?? '') . ' ' . ($userdata['last_name'] ?? '')),
        'customer_user_id' => $userId,
        'customer_user_email' => $userdata['user_email'] ?? '',
        'customer_email_verification' => 'pending',
        'company_name' => $userdata['company'] ?? '',
        'billing_email' => $userdata['user_email'] ?? '',
        'billing_country' => $userdata['country'] ?? '',
    ];
    try {
        $res = hookline()->events->publish('customer_created', $payload, "customer_created:{$userId}", (string) get_option('hookline_tenant'));
        echo $res['id'], !empty($res['duplicate']) ? ' duplicate' : '', "\n";
    } catch (ApiException $e) {
        // A refused event (422: not in the catalog, data against its schema)
        // is a bug to log; the sign-up itself goes on.
        error_log("hookline: {$e->getMessage()} (request {$e->requestId})");
    } catch (ConnectionException $e) {
        error_log("hookline: {$e->getMessage()}");
    }
}

add_action('user_register', 'hookline_customer_created', 10, 2);

// --- without WordPress: one sign-up, its hook run twice ------------------

if (!defined('ABSPATH')) {
    $user = ['user_email' => 'jane@example.com', 'first_name' => 'Jane', 'last_name' => 'Doe', 'company' => 'Doe Studio LLC', 'country' => 'US'];
    do_action('user_register', 4242, $user);
    do_action('user_register', 4242, $user);
}
