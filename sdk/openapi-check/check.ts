// What a TypeScript user writes with types generated from Hookline's
// OpenAPI document: no casts anywhere. Free-form JSON (an event's data, an
// event type's example and schema, a webhook's filter) must accept any
// object, not Record<string, never>.
import type { components, paths } from "./gen/api.js";

type PublishRequest = components["schemas"]["PublishRequest"];
type WebhookCreate = components["schemas"]["WebhookCreate"];
type EventTypeCreate = components["schemas"]["EventTypeCreate"];
type Destination = components["schemas"]["Destination"];
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

// Destinations: one schema per type, told apart by type.
const kafka: Destination = {
  type: "kafka",
  brokers: ["kafka-1.example.com:9092"],
  topic: "orders",
  key_path: "data.customer.id",
  sasl_mechanism: "scram-sha-512",
  username: "app",
  password: "secret",
};
const bus: WebhookCreate = { name: "Orders", events: ["*"], destination: kafka };
// @ts-expect-error a kafka destination needs its brokers
const noBrokers: Destination = { type: "kafka", topic: "orders" };

function where(d: Destination): string {
  switch (d.type) {
    case "kafka":
      return d.brokers.join(",") + "/" + d.topic; // narrowed: both required
    case "http":
      return "the webhook's url";
    default:
      return d.url;
  }
}

const eventType: EventTypeCreate = {
  slug: "order.shipped",
  name: "Order shipped",
  example: { order_id: 7, carrier: "DHL" },
  schema: { type: "object", required: ["order_id"], properties: { order_id: { type: "integer" } } },
};

function eventID(a: PublishAnswer): string {
  return a.id;
}

export { publish, webhook, eventType, eventID, bus, noBrokers, where };
