// What a TypeScript user writes with types generated from Hookline's
// OpenAPI document: no casts anywhere. Free-form JSON (an event's data, an
// event type's example and schema, a webhook's filter) must accept any
// object, not Record<string, never>.
import type { components, paths } from "./gen/api.js";

type PublishRequest = components["schemas"]["PublishRequest"];
type WebhookCreate = components["schemas"]["WebhookCreate"];
type EventTypeCreate = components["schemas"]["EventTypeCreate"];
type PublishAnswer =
  paths["/api/v1/events"]["post"]["responses"]["202"]["content"]["application/json"];

const publish: PublishRequest = {
  type: "payment_received",
  tenant: "acme",
  data: { payment_id: 301, amount: 29.0, items: [{ sku: "A-1", qty: 2 }], paid: true, note: null },
};

const webhook: WebhookCreate = {
  name: "Billing",
  url: "https://billing.example.com/hooks",
  events: ["payment_received"],
  headers: { "X-Team": "billing" },
};

const eventType: EventTypeCreate = {
  slug: "order.shipped",
  name: "Order shipped",
  example: { order_id: 7, carrier: "DHL" },
  schema: { type: "object", required: ["order_id"], properties: { order_id: { type: "integer" } } },
};

function eventID(a: PublishAnswer): string {
  return a.id;
}

export { publish, webhook, eventType, eventID };
