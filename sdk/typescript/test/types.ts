// Type-checked by `npm run typecheck` (tsc --noEmit --strict), never run:
// a program using the SDK the way its README does must compile without
// casts against the hand-written index.d.ts.
import { Hookline, ValidationError, Webhook, type CreatedWebhook, type PublishResult } from '@hookline/sdk';

export async function usage(): Promise<void> {
  const hookline = new Hookline({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'hkl_x', timeoutMs: 5000 });
  const res: PublishResult = await hookline.events.publish({
    type: 'customer_created',
    data: { id: 42, email: 'a@example.com', tags: ['x'], nested: { ok: true } },
    idempotency_key: 'customer-42',
    tenant: 'acme',
  });
  const wh: CreatedWebhook = await hookline.webhooks.create({ name: 'billing', url: 'https://example.com/h', events: ['*'] });
  await hookline.webhooks.update(wh.id, { active: false });
  for await (const w of hookline.webhooks.listAll({ tenant: 'acme', limit: 10 })) {
    const name: string = w.name;
    void name;
  }
  const health = await hookline.webhooks.stats(wh.id, { since: '24h', bucket: '1h' });
  const rate: number | null = health.success_rate;
  const p95: number | null = health.buckets[0].p95_ms;
  console.log(rate, p95, health.totals.failed_attempts, (await hookline.stats()).to, (await hookline.tenants.stats('acme')).from);
  const link = await hookline.tenants.createPortalSession('acme', { ttl: '1h', event_types: ['payment_*'] });
  const url: string = link.url;
  try {
    await hookline.webhooks.create({ name: '', url: 'nope', events: [] });
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const p of err.errors) console.log(p.pointer ?? p.parameter, p.detail, err.status, url, res.id);
    }
  }
  const payload = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify<{ type: string }>('{}', { 'webhook-id': 'x' });
  const t: string = payload.type;
  void t;
}
