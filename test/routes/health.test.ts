import { describe, expect, it } from 'vitest';
import { makeApp } from '../helpers.js';

describe('/healthz', () => {
  it('is 200 with a small JSON body while the database answers, 503 when it cannot', async () => {
    const ctx = makeApp();
    const ok = await ctx.client.get('/healthz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok' });
    ctx.db.close();
    const down = await ctx.client.get('/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', reason: 'database' });
  });
});
