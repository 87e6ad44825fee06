-- The attempt rollup behind charts (store.StatsStore): per webhook and
-- UTC minute (Unix minutes), the counts of store.Counts and a latency
-- histogram in store.LatencyBins fixed log-scale bins (h00 .. h52), added
-- to in the transaction that records the attempts. Charts sum at most one
-- row per webhook and minute and never read the attempts.
CREATE TABLE attempt_rollup (
    webhook_id      text COLLATE "C" NOT NULL,
    minute          bigint NOT NULL,
    tenant          text NOT NULL,
    delivered       integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    failed_attempts integer NOT NULL DEFAULT 0,
    retried         integer NOT NULL DEFAULT 0,
    h00             integer NOT NULL DEFAULT 0,
    h01             integer NOT NULL DEFAULT 0,
    h02             integer NOT NULL DEFAULT 0,
    h03             integer NOT NULL DEFAULT 0,
    h04             integer NOT NULL DEFAULT 0,
    h05             integer NOT NULL DEFAULT 0,
    h06             integer NOT NULL DEFAULT 0,
    h07             integer NOT NULL DEFAULT 0,
    h08             integer NOT NULL DEFAULT 0,
    h09             integer NOT NULL DEFAULT 0,
    h10             integer NOT NULL DEFAULT 0,
    h11             integer NOT NULL DEFAULT 0,
    h12             integer NOT NULL DEFAULT 0,
    h13             integer NOT NULL DEFAULT 0,
    h14             integer NOT NULL DEFAULT 0,
    h15             integer NOT NULL DEFAULT 0,
    h16             integer NOT NULL DEFAULT 0,
    h17             integer NOT NULL DEFAULT 0,
    h18             integer NOT NULL DEFAULT 0,
    h19             integer NOT NULL DEFAULT 0,
    h20             integer NOT NULL DEFAULT 0,
    h21             integer NOT NULL DEFAULT 0,
    h22             integer NOT NULL DEFAULT 0,
    h23             integer NOT NULL DEFAULT 0,
    h24             integer NOT NULL DEFAULT 0,
    h25             integer NOT NULL DEFAULT 0,
    h26             integer NOT NULL DEFAULT 0,
    h27             integer NOT NULL DEFAULT 0,
    h28             integer NOT NULL DEFAULT 0,
    h29             integer NOT NULL DEFAULT 0,
    h30             integer NOT NULL DEFAULT 0,
    h31             integer NOT NULL DEFAULT 0,
    h32             integer NOT NULL DEFAULT 0,
    h33             integer NOT NULL DEFAULT 0,
    h34             integer NOT NULL DEFAULT 0,
    h35             integer NOT NULL DEFAULT 0,
    h36             integer NOT NULL DEFAULT 0,
    h37             integer NOT NULL DEFAULT 0,
    h38             integer NOT NULL DEFAULT 0,
    h39             integer NOT NULL DEFAULT 0,
    h40             integer NOT NULL DEFAULT 0,
    h41             integer NOT NULL DEFAULT 0,
    h42             integer NOT NULL DEFAULT 0,
    h43             integer NOT NULL DEFAULT 0,
    h44             integer NOT NULL DEFAULT 0,
    h45             integer NOT NULL DEFAULT 0,
    h46             integer NOT NULL DEFAULT 0,
    h47             integer NOT NULL DEFAULT 0,
    h48             integer NOT NULL DEFAULT 0,
    h49             integer NOT NULL DEFAULT 0,
    h50             integer NOT NULL DEFAULT 0,
    h51             integer NOT NULL DEFAULT 0,
    h52             integer NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, minute)
);
CREATE INDEX attempt_rollup_minute ON attempt_rollup (minute);
CREATE INDEX attempt_rollup_tenant ON attempt_rollup (tenant, minute);

-- Filled from the attempts of the last 31 days (older ones are beyond any
-- chart), each read once through attempts_started and counted per webhook,
-- minute and latency bin; only those groups, far fewer, are spread over
-- the bin columns. Attempts stored before outcomes were recorded (NULL
-- outcome) end a delivery only when they plainly did (a success, a 410, a
-- delivery ended unsent); any other failure counts as a failed attempt,
-- not a failed delivery, since whether a retry followed was not kept. The
-- bin expression is store.LatencyBinSQL's (a test compares them).
-- Instances of the previous release still running during a rolling
-- upgrade record attempts without the rollup: their minutes are missing
-- from charts.
INSERT INTO attempt_rollup (webhook_id, minute, tenant, delivered, failed, attempts, failed_attempts, retried, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19, h20, h21, h22, h23, h24, h25, h26, h27, h28, h29, h30, h31, h32, h33, h34, h35, h36, h37, h38, h39, h40, h41, h42, h43, h44, h45, h46, h47, h48, h49, h50, h51, h52)
SELECT webhook_id, minute, tenant, sum(delivered), sum(failed), sum(sent), sum(failed_attempts), sum(retried),
    coalesce(sum(sent) FILTER (WHERE bin = 0), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 1), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 2), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 3), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 4), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 5), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 6), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 7), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 8), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 9), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 10), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 11), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 12), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 13), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 14), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 15), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 16), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 17), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 18), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 19), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 20), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 21), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 22), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 23), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 24), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 25), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 26), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 27), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 28), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 29), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 30), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 31), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 32), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 33), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 34), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 35), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 36), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 37), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 38), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 39), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 40), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 41), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 42), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 43), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 44), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 45), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 46), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 47), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 48), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 49), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 50), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 51), 0),
    coalesce(sum(sent) FILTER (WHERE bin = 52), 0)
FROM (
    SELECT a.webhook_id, a.minute, d.tenant, a.bin,
        count(*) FILTER (WHERE a.outcome = 'delivered' OR (a.outcome IS NULL AND (a.error_class = '' AND ((a.destination IS NOT NULL AND a.destination <> 'http') OR a.status_code BETWEEN 200 AND 299)))) AS delivered,
        count(*) FILTER (WHERE a.outcome IN ('failed', 'disabled') OR (a.outcome IS NULL AND (a.error_class = 'cancelled' OR a.status_code = 410))) AS failed,
        count(*) FILTER (WHERE a.error_class <> 'cancelled') AS sent,
        count(*) FILTER (WHERE a.error_class <> 'cancelled' AND NOT (a.error_class = '' AND ((a.destination IS NOT NULL AND a.destination <> 'http') OR a.status_code BETWEEN 200 AND 299))) AS failed_attempts,
        count(*) FILTER (WHERE a.error_class <> 'cancelled' AND a.number > 1) AS retried
    FROM (SELECT *, floor(extract(epoch FROM started_at) / 60)::bigint AS minute,
            CASE WHEN duration_ms < 322.53978877308765 THEN CASE WHEN duration_ms < 16 THEN CASE WHEN duration_ms < 3.174802103936399 THEN CASE WHEN duration_ms < 1.5874010519681994 THEN CASE WHEN duration_ms < 1 THEN 0 ELSE CASE WHEN duration_ms < 1.2599210498948732 THEN 1 ELSE 2 END END ELSE CASE WHEN duration_ms < 2 THEN 3 ELSE CASE WHEN duration_ms < 2.519842099789746 THEN 4 ELSE 5 END END END ELSE CASE WHEN duration_ms < 6.3496042078727974 THEN CASE WHEN duration_ms < 4 THEN 6 ELSE CASE WHEN duration_ms < 5.039684199579494 THEN 7 ELSE 8 END END ELSE CASE WHEN duration_ms < 10.079368399158987 THEN CASE WHEN duration_ms < 8 THEN 9 ELSE 10 END ELSE CASE WHEN duration_ms < 12.699208415745595 THEN 11 ELSE 12 END END END END ELSE CASE WHEN duration_ms < 64 THEN CASE WHEN duration_ms < 32 THEN CASE WHEN duration_ms < 20.158736798317967 THEN 13 ELSE CASE WHEN duration_ms < 25.398416831491197 THEN 14 ELSE 15 END END ELSE CASE WHEN duration_ms < 40.317473596635935 THEN 16 ELSE CASE WHEN duration_ms < 50.796833662982394 THEN 17 ELSE 18 END END END ELSE CASE WHEN duration_ms < 128 THEN CASE WHEN duration_ms < 80.63494719327187 THEN 19 ELSE CASE WHEN duration_ms < 101.59366732596479 THEN 20 ELSE 21 END END ELSE CASE WHEN duration_ms < 203.18733465192958 THEN CASE WHEN duration_ms < 161.26989438654374 THEN 22 ELSE 23 END ELSE CASE WHEN duration_ms < 256 THEN 24 ELSE 25 END END END END END ELSE CASE WHEN duration_ms < 6501.994708861743 THEN CASE WHEN duration_ms < 1290.1591550923506 THEN CASE WHEN duration_ms < 645.0795775461753 THEN CASE WHEN duration_ms < 406.3746693038589 THEN 26 ELSE CASE WHEN duration_ms < 512 THEN 27 ELSE 28 END END ELSE CASE WHEN duration_ms < 812.7493386077178 THEN 29 ELSE CASE WHEN duration_ms < 1024 THEN 30 ELSE 31 END END END ELSE CASE WHEN duration_ms < 2580.318310184701 THEN CASE WHEN duration_ms < 1625.4986772154357 THEN 32 ELSE CASE WHEN duration_ms < 2048 THEN 33 ELSE 34 END END ELSE CASE WHEN duration_ms < 4096 THEN CASE WHEN duration_ms < 3250.9973544308714 THEN 35 ELSE 36 END ELSE CASE WHEN duration_ms < 5160.636620369402 THEN 37 ELSE 38 END END END END ELSE CASE WHEN duration_ms < 32768 THEN CASE WHEN duration_ms < 13003.989417723486 THEN CASE WHEN duration_ms < 8192 THEN 39 ELSE CASE WHEN duration_ms < 10321.273240738805 THEN 40 ELSE 41 END END ELSE CASE WHEN duration_ms < 20642.54648147761 THEN CASE WHEN duration_ms < 16384 THEN 42 ELSE 43 END ELSE CASE WHEN duration_ms < 26007.97883544697 THEN 44 ELSE 45 END END END ELSE CASE WHEN duration_ms < 65536 THEN CASE WHEN duration_ms < 41285.09296295522 THEN 46 ELSE CASE WHEN duration_ms < 52015.95767089394 THEN 47 ELSE 48 END END ELSE CASE WHEN duration_ms < 104031.915341788 THEN CASE WHEN duration_ms < 82570.18592591034 THEN 49 ELSE 50 END ELSE CASE WHEN duration_ms < 131072 THEN 51 ELSE 52 END END END END END END AS bin
        FROM attempts WHERE NOT test AND started_at >= now() - interval '31 days') a
    JOIN deliveries d ON d.id = a.delivery_id
    GROUP BY a.webhook_id, a.minute, d.tenant, a.bin
) g
GROUP BY webhook_id, minute, tenant;
