// receiver-node: a minimal Hookline webhook receiver for Node.js 20+.
//
// Every request's Standard Webhooks signature (the webhook-id,
// webhook-timestamp and webhook-signature headers) is checked with the
// `standardwebhooks` package before the body is trusted. An accepted event
// is printed as one line, "<webhook-id> <webhook-event> <body>", and
// answered 204; a bad signature gets 401, a body that is not JSON 400.
//
// Run it:
//
//   npm ci
//   WEBHOOK_SECRET=whsec_... PORT=3000 node server.js
//
// and point a webhook at it (the secret is printed when it is created):
//
//   hookline webhooks create --name node --url http://127.0.0.1:3000/webhooks --events '*'
//
// Environment:
//   WEBHOOK_SECRET  the webhook's signing secret, whsec_... (required)
//   PORT            port to listen on; 0 picks a free one (default 3000)
//   HOST            address to listen on (default 127.0.0.1)
//
// Verify the raw body exactly as received: parsing and re-serialising the
// JSON first changes the bytes and breaks the signature. The webhook-id is
// the same on every retry of an event; use it to skip duplicates.
"use strict";

const http = require("node:http");
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

const MAX_BODY_BYTES = 1 << 20;

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("set WEBHOOK_SECRET to the webhook's signing secret (whsec_...)");
  process.exit(2);
}
let webhook;
try {
  webhook = new Webhook(secret);
} catch (err) {
  console.error(`WEBHOOK_SECRET: ${err.message}`);
  process.exit(2);
}

function reply(res, status, text) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text ? `${text}\n` : undefined);
}

const server = http.createServer((req, res) => {
  const path = (req.url || "").split("?")[0];
  if (path !== "/webhooks") {
    reply(res, 404, "not found");
    return;
  }
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    reply(res, 405, "use POST");
    return;
  }
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) {
      chunks.push(chunk);
    }
  });
  req.on("end", () => {
    if (size > MAX_BODY_BYTES) {
      reply(res, 413, "body too large");
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"] || "-";
    try {
      webhook.verify(body, req.headers);
    } catch (err) {
      if (err instanceof WebhookVerificationError) {
        // Do not tell the sender why: that would help a forger.
        console.error(`rejected ${id}: ${err.message}`);
        reply(res, 401, "invalid signature");
      } else {
        console.error(`rejected ${id}: body is not JSON`);
        reply(res, 400, "body is not JSON");
      }
      return;
    }
    console.log(`${id} ${req.headers["webhook-event"] || "-"} ${body}`);
    res.writeHead(204);
    res.end();
  });
  req.on("error", () => res.destroy());
});

const host = process.env.HOST || "127.0.0.1";
const port = Number.parseInt(process.env.PORT ?? "3000", 10);
server.listen(port, host, () => {
  const addr = server.address();
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  console.log(`listening on http://${shown}:${addr.port}/webhooks`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
