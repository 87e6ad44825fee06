// Publishes one event and prints its id:
//
//   HOOKLINE_URL=http://127.0.0.1:8080 HOOKLINE_API_KEY=hkl_… \
//     node examples/publish.mjs customer_created '{"id": 42, "email": "ada@example.com"}'
//
// HOOKLINE_TENANT, when set, names the tenant the event belongs to.
import { randomUUID } from 'node:crypto';
import { Hookline, ApiError } from '@hookline/sdk';

const [type, json] = process.argv.slice(2);
if (!type || !json) {
  console.error('usage: node publish.mjs TYPE JSON');
  process.exit(2);
}
const hookline = new Hookline({ baseUrl: process.env.HOOKLINE_URL, apiKey: process.env.HOOKLINE_API_KEY });
try {
  const res = await hookline.events.publish({
    type,
    data: JSON.parse(json),
    // A key makes the call safe to retry: the server stores it once.
    idempotency_key: randomUUID(),
    tenant: process.env.HOOKLINE_TENANT || undefined,
  });
  console.log(res.id);
} catch (err) {
  if (err instanceof ApiError) {
    for (const p of err.errors) console.error(`${p.pointer ?? '?' + p.parameter}: ${p.detail}`);
  }
  console.error(err.message);
  process.exit(1);
}
