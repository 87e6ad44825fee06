<?php

declare(strict_types=1);

namespace Hookline;

/**
 * A webhook's destination, as the API's `destination` member: an array
 * shape with a builder per type. `http` (the default) POSTs to the
 * webhook's url; the broker types publish the same body and Standard
 * Webhooks headers to a message broker (see the README's Destinations
 * section). Answers show `url` passwords and Kafka's `password` as
 * "xxxxx"; sending them back so keeps the stored secret (for Kafka, a
 * missing password too, for the same mechanism and username).
 *
 * @phpstan-type DestinationShape array{
 *     type: 'http'|'rabbitmq'|'nats'|'redis'|'mqtt'|'kafka',
 *     url?: string, exchange?: string, routing_key?: string, subject?: string,
 *     stream?: string, maxlen?: int, topic?: string, qos?: int,
 *     brokers?: list<string>, key_path?: string, tls?: bool,
 *     sasl_mechanism?: 'plain'|'scram-sha-256'|'scram-sha-512', username?: string, password?: string
 * }
 */
final class Destination
{
    public const HTTP = 'http';
    public const RABBITMQ = 'rabbitmq';
    public const NATS = 'nats';
    public const REDIS = 'redis';
    public const MQTT = 'mqtt';
    public const KAFKA = 'kafka';

    /** Kafka SASL mechanisms. */
    public const SASL_PLAIN = 'plain';
    public const SASL_SCRAM_SHA_256 = 'scram-sha-256';
    public const SASL_SCRAM_SHA_512 = 'scram-sha-512';

    /** What answers show in place of a stored password. */
    public const MASK = 'xxxxx';

    private function __construct()
    {
    }

    /** @return DestinationShape */
    public static function http(): array
    {
        return ['type' => self::HTTP];
    }

    /**
     * RabbitMQ: publisher confirms; with the default exchange ('') the
     * routing key names the queue.
     *
     * @return DestinationShape
     */
    public static function rabbitmq(string $url, string $exchange = '', string $routingKey = ''): array
    {
        return self::compact(['type' => self::RABBITMQ, 'url' => $url, 'exchange' => $exchange, 'routing_key' => $routingKey]);
    }

    /** NATS JetStream: a stream must capture the subject. @return DestinationShape */
    public static function nats(string $url, string $subject): array
    {
        return ['type' => self::NATS, 'url' => $url, 'subject' => $subject];
    }

    /** Redis Streams: XADD, capped at about $maxlen entries (0: no cap). @return DestinationShape */
    public static function redis(string $url, string $stream, int $maxlen = 0): array
    {
        return self::compact(['type' => self::REDIS, 'url' => $url, 'stream' => $stream, 'maxlen' => $maxlen]);
    }

    /** MQTT 3.1.1 at QoS 1; headers travel in a JSON envelope. @return DestinationShape */
    public static function mqtt(string $url, string $topic): array
    {
        return ['type' => self::MQTT, 'url' => $url, 'topic' => $topic, 'qos' => 1];
    }

    /**
     * Kafka: acks=all from an idempotent producer. $brokers are host:port;
     * $keyPath is the dotted path in the body whose value keys each record
     * (the event id when empty or absent). SASL needs $saslMechanism (one
     * of the SASL_* constants), $username and $password.
     *
     * @param list<string> $brokers
     * @return DestinationShape
     */
    public static function kafka(
        array $brokers,
        string $topic,
        string $keyPath = '',
        bool $tls = false,
        string $saslMechanism = '',
        string $username = '',
        string $password = '',
    ): array {
        return self::compact(['type' => self::KAFKA, 'brokers' => array_values($brokers), 'topic' => $topic,
            'key_path' => $keyPath, 'tls' => $tls, 'sasl_mechanism' => $saslMechanism,
            'username' => $username, 'password' => $password]);
    }

    /**
     * $d without its empty members, as the API writes a destination.
     *
     * @param array<string, mixed> $d
     * @return DestinationShape
     */
    private static function compact(array $d): array
    {
        /** @var DestinationShape */
        return array_filter($d, static fn (mixed $v): bool => $v !== '' && $v !== 0 && $v !== false && $v !== []);
    }
}
