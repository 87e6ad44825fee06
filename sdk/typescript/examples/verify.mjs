// Verifies a captured webhook request, given on stdin as
// {"headers": {...}, "body": "..."}, with WEBHOOK_SECRET:
//
//   WEBHOOK_SECRET=whsec_… node examples/verify.mjs < request.json
//
// Prints the event type and exits 0 when it is signed; exits 1 with the
// reason when it is not.
import { Webhook } from '@hookline/sdk';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { headers, body } = JSON.parse(input);
try {
  const event = new Webhook(process.env.WEBHOOK_SECRET).verify(body, headers);
  console.log(event.type);
} catch (err) {
  console.error(`not verified: ${err.message}`);
  process.exit(1);
}
