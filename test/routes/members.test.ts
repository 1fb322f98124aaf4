import { describe, expect, it } from 'vitest';
import { enrol, makeApp } from '../helpers.js';

describe('members page', () => {
  it('lets an owner create, see and revoke invites', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const created = await client.post('/members/invites', { role: 'writer' });
    expect(created.status).toBe(201);
    const link = (await created.text()).match(/value="(http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]{27})"/)![1]!;
    expect((await client.get(new URL(link).pathname)).status).toBe(200);

    const page = await (await client.get('/members')).text();
    const revokeAction = page.match(/action="(\/members\/invites\/\d+\/revoke)"/)![1]!;
    expect((await client.post(revokeAction)).status).toBe(303);
    expect((await client.get(new URL(link).pathname)).status).toBe(410);
  });

  it('is for owners only', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    expect((await client.get('/members')).status).toBe(403);
    expect((await client.post('/members/invites', { role: 'owner' })).status).toBe(403);
  });
});
