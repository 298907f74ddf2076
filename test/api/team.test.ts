import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ApiClient, PASSWORD, addMember, signUp, uniqueEmail } from '../helpers/api';

async function invite(owner: ApiClient, slug: string, email: string, role = 'member') {
  const response = await owner.post(`/api/t/${slug}/invitations`, { email, role });
  expect(response.status).toBe(201);
  return { ...response.body, token: (response.body.acceptUrl as string).split('/invite/')[1]! } as { invitation: { id: string }; acceptUrl: string; token: string };
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function auditRows(tenantId: string, entityType: string) {
  const { results } = await env.DB.prepare('select action, entity_id as entityId, actor_user_id as actor, before, after from audit_log where tenant_id = ? and entity_type = ? order by at').bind(tenantId, entityType).all();
  return results as { action: string; entityId: string; actor: string; before: string | null; after: string | null }[];
}

async function roleOf(tenantId: string, userId: string) {
  const row = await env.DB.prepare('select role from memberships where tenant_id = ? and user_id = ?').bind(tenantId, userId).first<{ role: string }>();
  return row?.role ?? null;
}

describe('invitations', () => {
  it('answers a single-use accept link whose token is stored only as its SHA-256, valid 7 days', async () => {
    const owner = await signUp();
    const email = uniqueEmail('invitee');
    const before = Date.now();
    const created = await invite(owner.client, owner.tenant.slug, email.toUpperCase(), 'viewer');
    expect(created.acceptUrl).toMatch(/^http:\/\/localhost\/invite\/[A-Za-z0-9_-]+$/);
    // ≥ 128 bits of base64url.
    expect(created.token.length).toBeGreaterThanOrEqual(22);
    const row = await env.DB.prepare('select * from invitations where id = ?').bind(created.invitation.id).first<{ token_hash: string; email: string; role: string; expires_at: number }>();
    expect(row!.email).toBe(email.toLowerCase());
    expect(row!.role).toBe('viewer');
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(row!.token_hash).toBe(hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(created.token))));
    const week = 7 * 24 * 60 * 60 * 1000;
    expect(row!.expires_at).toBeGreaterThanOrEqual(before + week);
    expect(row!.expires_at).toBeLessThanOrEqual(Date.now() + week);
    const list = await owner.client.get(`/api/t/${owner.tenant.slug}/invitations`);
    expect(list.body.invitations).toEqual([expect.objectContaining({ id: created.invitation.id, email: email.toLowerCase(), role: 'viewer', invitedByName: 'Test Owner' })]);
    expect((await auditRows(owner.tenant.id, 'invitation')).map((r) => r.action)).toEqual(['invite']);
  });

  it('refuses to invite an existing member (409) and bad input (400)', async () => {
    const owner = await signUp();
    const member = await addMember(owner.tenant.id, 'member');
    const again = await owner.client.post(`/api/t/${owner.tenant.slug}/invitations`, { email: member.email, role: 'admin' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_member');
    for (const body of [{ email: 'not-an-email', role: 'member' }, { email: uniqueEmail(), role: 'owner' }, { email: uniqueEmail() }, {}]) {
      const response = await owner.client.post(`/api/t/${owner.tenant.slug}/invitations`, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.length).toBeGreaterThan(0);
    }
  });

  it('re-inviting the same email replaces the older pending invitation; revoking kills the link', async () => {
    const owner = await signUp();
    const email = uniqueEmail();
    const first = await invite(owner.client, owner.tenant.slug, email);
    const second = await invite(owner.client, owner.tenant.slug, email, 'admin');
    const list = await owner.client.get(`/api/t/${owner.tenant.slug}/invitations`);
    expect(list.body.invitations.map((i: { id: string }) => i.id)).toEqual([second.invitation.id]);
    const stale = await new ApiClient().get(`/api/invitations/${first.token}`);
    expect(stale.status).toBe(410);
    expect(stale.body.code).toBe('invitation_invalid');
    const preview = await new ApiClient().get(`/api/invitations/${second.token}`);
    expect(preview.body).toMatchObject({ workspace: { name: 'Acme Trading', slug: owner.tenant.slug }, email, role: 'admin', inviterName: 'Test Owner', you: null });

    const revoked = await owner.client.request('DELETE', `/api/t/${owner.tenant.slug}/invitations/${second.invitation.id}`);
    expect(revoked.status).toBe(204);
    expect((await owner.client.request('DELETE', `/api/t/${owner.tenant.slug}/invitations/${second.invitation.id}`)).status).toBe(404);
    const accept = await new ApiClient().post(`/api/invitations/${second.token}/accept`, { name: 'Late', password: PASSWORD });
    expect(accept.status).toBe(410);
    expect((await owner.client.get(`/api/t/${owner.tenant.slug}/invitations`)).body.invitations).toEqual([]);
    expect((await auditRows(owner.tenant.id, 'invitation')).map((r) => r.action)).toEqual(['invite', 'invite', 'revoke']);
  });

  it('a new person accepts with name and password: account, membership, session and audit in one go', async () => {
    const owner = await signUp();
    const email = uniqueEmail('newbie');
    const { token } = await invite(owner.client, owner.tenant.slug, email, 'member');
    const guest = new ApiClient();
    const accepted = await guest.post(`/api/invitations/${token}/accept`, { name: 'New Person', password: PASSWORD });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ tenant: { slug: owner.tenant.slug }, role: 'member' });
    expect(guest.cookie).toContain('__Host-jihui_session=');
    const me = await guest.get('/api/auth/me');
    expect(me.body.user).toMatchObject({ email, name: 'New Person' });
    expect(me.body.workspaces).toEqual([expect.objectContaining({ slug: owner.tenant.slug, role: 'member' })]);
    // Same hashing as signup: the new person can log in with the password.
    const login = await new ApiClient().post('/api/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    const user = await env.DB.prepare('select password_hash from users where email = ?').bind(email).first<{ password_hash: string }>();
    expect(user!.password_hash).toMatch(/^\$argon2id\$/);
    const entries = await auditRows(owner.tenant.id, 'invitation');
    expect(entries.map((r) => r.action)).toEqual(['invite', 'accept']);
    expect(entries[1]!.actor).toBe(me.body.user.id);
    // Used up: a second accept and the preview are refused.
    const reused = await new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Again', password: PASSWORD });
    expect(reused.status).toBe(410);
    expect(reused.body.code).toBe('invitation_invalid');
    expect((await new ApiClient().get(`/api/invitations/${token}`)).status).toBe(410);
  });

  it('applies signup’s password rules and asks existing users to log in first', async () => {
    const owner = await signUp();
    const email = uniqueEmail();
    const { token } = await invite(owner.client, owner.tenant.slug, email);
    const weak = await new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Weak', password: 'password123' });
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual([expect.objectContaining({ path: 'password' })]);
    const short = await new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Short', password: 'abc' });
    expect(short.status).toBe(400);
    const missing = await new ApiClient().post(`/api/invitations/${token}/accept`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['name', 'password']);

    const existing = await signUp({ workspaceName: 'Elsewhere' });
    const forExisting = await invite(owner.client, owner.tenant.slug, existing.email);
    const anonymous = await new ApiClient().post(`/api/invitations/${forExisting.token}/accept`, { name: 'Impostor', password: 'another long passphrase' });
    expect(anonymous.status).toBe(409);
    expect(anonymous.body.code).toBe('login_required');
    // Still usable by the right person once logged in.
    const joined = await existing.client.post(`/api/invitations/${forExisting.token}/accept`, {});
    expect(joined.status).toBe(200);
    expect(await roleOf(owner.tenant.id, existing.user.id)).toBe('member');
  });

  it('a logged-in user must be the invited email (case-insensitive)', async () => {
    const owner = await signUp();
    const invitee = await signUp({ workspaceName: 'Invitee home' });
    const other = await signUp({ workspaceName: 'Other home' });
    const { token } = await invite(owner.client, owner.tenant.slug, invitee.email.toUpperCase(), 'admin');
    const preview = await other.client.get(`/api/invitations/${token}`);
    expect(preview.body.you).toEqual({ email: other.email, matches: false, alreadyMember: false });
    const wrong = await other.client.post(`/api/invitations/${token}/accept`, {});
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('invitation_email_mismatch');
    expect(await roleOf(owner.tenant.id, other.user.id)).toBeNull();
    const right = await invitee.client.post(`/api/invitations/${token}/accept`, {});
    expect(right.status).toBe(200);
    expect(right.body.role).toBe('admin');
    expect(await roleOf(owner.tenant.id, invitee.user.id)).toBe('admin');
  });

  it('refuses an expired invitation', async () => {
    const owner = await signUp();
    const email = uniqueEmail();
    const { token, invitation } = await invite(owner.client, owner.tenant.slug, email);
    await env.DB.prepare('update invitations set expires_at = ? where id = ?').bind(Date.now() - 1, invitation.id).run();
    const accept = await new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Late', password: PASSWORD });
    expect(accept.status).toBe(410);
    expect(accept.body.code).toBe('invitation_invalid');
    expect(accept.headers.get('content-type')).toContain('application/problem+json');
    expect((await new ApiClient().get(`/api/invitations/${token}`)).status).toBe(410);
    expect(await env.DB.prepare('select count(*) as n from users where email = ?').bind(email).first('n')).toBe(0);
    expect((await owner.client.get(`/api/t/${owner.tenant.slug}/invitations`)).body.invitations).toEqual([]);
  });

  it('an admin’s invitation dies with their admin rights (no way back in after removal or demotion)', async () => {
    const owner = await signUp();
    const admin = await addMember(owner.tenant.id, 'admin', 'Leaving Admin');
    const spare = uniqueEmail();
    const { token } = await invite(admin.client, owner.tenant.slug, spare, 'admin');
    // The owner demotes the admin before the link is used.
    expect((await owner.client.request('PATCH', `/api/t/${owner.tenant.slug}/members/${admin.user.id}`, { role: 'member' })).status).toBe(200);
    const accept = await new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Alt', password: PASSWORD });
    expect(accept.status).toBe(410);
    expect(accept.body.code).toBe('invitation_invalid');
    expect(await env.DB.prepare('select count(*) as n from users where email = ?').bind(spare).first('n')).toBe(0);
  });

  it('two concurrent accepts: exactly one wins', async () => {
    const owner = await signUp();
    const email = uniqueEmail();
    const { token } = await invite(owner.client, owner.tenant.slug, email);
    const results = await Promise.all([0, 1, 2].map(() => new ApiClient().post(`/api/invitations/${token}/accept`, { name: 'Racer', password: PASSWORD })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expect(['invitation_invalid', 'login_required']).toContain(r.body.code);
    expect(await env.DB.prepare('select count(*) as n from users where email = ?').bind(email).first('n')).toBe(1);
    expect(await env.DB.prepare('select count(*) as n from audit_log where tenant_id = ? and action = ?').bind(owner.tenant.id, 'accept').first('n')).toBe(1);

    // The same for a logged-in invitee racing themself.
    const invitee = await signUp({ workspaceName: 'Racer home' });
    const second = await invite(owner.client, owner.tenant.slug, invitee.email);
    const raced = await Promise.all([0, 1, 2].map(() => invitee.client.post(`/api/invitations/${second.token}/accept`, {})));
    expect(raced.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of raced.filter((r) => r.status !== 200)) expect([409, 410]).toContain(r.status);
    expect(await env.DB.prepare('select count(*) as n from memberships where tenant_id = ? and user_id = ?').bind(owner.tenant.id, invitee.user.id).first('n')).toBe(1);
  });

  it('rate-limits accepts per address', async () => {
    const client = new ApiClient();
    let last = 0;
    for (let i = 0; i < 21; i++) last = (await client.post('/api/invitations/no-such-token/accept', {})).status;
    expect(last).toBe(429);
  });
});

describe('members', () => {
  it('lists members with role, join date and open opportunity count (admins and owners only)', async () => {
    const owner = await signUp();
    const member = await addMember(owner.tenant.id, 'member', 'Mia Member');
    const viewer = await addMember(owner.tenant.id, 'viewer', 'Vic Viewer');
    const admin = await addMember(owner.tenant.id, 'admin', 'Ada Admin');
    await member.client.post(`/api/t/${owner.tenant.slug}/opportunities`, { title: 'Mia deal', amount: 100 });
    const list = await admin.client.get(`/api/t/${owner.tenant.slug}/members`);
    expect(list.status).toBe(200);
    const mia = list.body.members.find((m: { id: string }) => m.id === member.user.id);
    expect(mia).toMatchObject({ name: 'Mia Member', email: member.email, role: 'member', openOpportunityCount: 1, opportunityCount: 1 });
    expect(new Date(mia.joinedAt).getTime()).toBeGreaterThan(0);
    expect(list.body.members.map((m: { role: string }) => m.role).sort()).toEqual(['admin', 'member', 'owner', 'viewer']);

    const slug = owner.tenant.slug;
    for (const client of [member.client, viewer.client]) {
      for (const [method, path, body] of [
        ['GET', `/api/t/${slug}/members`],
        ['PATCH', `/api/t/${slug}/members/${owner.user.id}`, { role: 'viewer' }],
        ['DELETE', `/api/t/${slug}/members/${admin.user.id}`],
        ['GET', `/api/t/${slug}/invitations`],
        ['POST', `/api/t/${slug}/invitations`, { email: uniqueEmail(), role: 'member' }],
        ['DELETE', `/api/t/${slug}/invitations/whatever`],
      ] as [string, string, unknown?][]) {
        const response = await client.request(method, path, body);
        expect(response.status, `${method} ${path}`).toBe(403);
        expect(['admin_only', 'read_only']).toContain(response.body.code);
      }
    }
  });

  it('changes roles with an audit entry; bad roles are 400; unknown members 404', async () => {
    const owner = await signUp();
    const member = await addMember(owner.tenant.id, 'member');
    const base = `/api/t/${owner.tenant.slug}/members`;
    const changed = await owner.client.request('PATCH', `${base}/${member.user.id}`, { role: 'viewer' });
    expect(changed.status).toBe(200);
    expect(changed.body.members.find((m: { id: string }) => m.id === member.user.id).role).toBe('viewer');
    const entries = await auditRows(owner.tenant.id, 'member');
    expect(entries).toEqual([expect.objectContaining({ action: 'role_change', entityId: member.user.id, before: '{"role":"member"}', after: '{"role":"viewer"}' })]);
    expect((await owner.client.request('PATCH', `${base}/${member.user.id}`, { role: 'boss' })).status).toBe(400);
    expect((await owner.client.request('PATCH', `${base}/${member.user.id}`, {})).status).toBe(400);
    expect((await owner.client.request('PATCH', `${base}/nobody`, { role: 'admin' })).status).toBe(404);
  });

  it('never demotes or removes the last owner (409 last_owner), even the owner themself', async () => {
    const owner = await signUp();
    const base = `/api/t/${owner.tenant.slug}/members`;
    const demote = await owner.client.request('PATCH', `${base}/${owner.user.id}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.code).toBe('last_owner');
    const remove = await owner.client.request('DELETE', `${base}/${owner.user.id}`);
    expect(remove.status).toBe(409);
    expect(remove.body.code).toBe('last_owner');
    expect(await roleOf(owner.tenant.id, owner.user.id)).toBe('owner');

    // Two owners demoting each other at once: one owner always remains.
    const second = await addMember(owner.tenant.id, 'admin');
    await env.DB.prepare(`update memberships set role = 'owner' where tenant_id = ? and user_id = ?`).bind(owner.tenant.id, second.user.id).run();
    const both = await Promise.all([
      owner.client.request('PATCH', `${base}/${second.user.id}`, { role: 'admin' }),
      second.client.request('PATCH', `${base}/${owner.user.id}`, { role: 'admin' }),
    ]);
    const owners = await env.DB.prepare(`select count(*) as n from memberships where tenant_id = ? and role = 'owner'`).bind(owner.tenant.id).first('n');
    expect(owners).toBe(1);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('only an owner grants or takes the owner role; admins cannot change owners', async () => {
    const owner = await signUp();
    const admin = await addMember(owner.tenant.id, 'admin');
    const member = await addMember(owner.tenant.id, 'member');
    const base = `/api/t/${owner.tenant.slug}/members`;
    for (const [path, role] of [[member.user.id, 'owner'], [owner.user.id, 'admin'], [admin.user.id, 'owner']] as const) {
      const response = await admin.client.request('PATCH', `${base}/${path}`, { role });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('owner_only');
    }
    const removeOwner = await admin.client.request('DELETE', `${base}/${owner.user.id}`);
    expect(removeOwner.status).toBe(403);
    // Admins manage everyone else.
    expect((await admin.client.request('PATCH', `${base}/${member.user.id}`, { role: 'admin' })).status).toBe(200);
    expect(await roleOf(owner.tenant.id, owner.user.id)).toBe('owner');
  });

  it('an owner transfers ownership: the other becomes owner and the caller admin, audited', async () => {
    const owner = await signUp();
    const member = await addMember(owner.tenant.id, 'member');
    const response = await owner.client.request('PATCH', `/api/t/${owner.tenant.slug}/members/${member.user.id}`, { role: 'owner' });
    expect(response.status).toBe(200);
    expect(await roleOf(owner.tenant.id, member.user.id)).toBe('owner');
    expect(await roleOf(owner.tenant.id, owner.user.id)).toBe('admin');
    expect(await auditRows(owner.tenant.id, 'ownership')).toEqual([expect.objectContaining({ action: 'transfer', entityId: member.user.id, actor: owner.user.id })]);
    // The former owner is an admin now: they cannot take it back.
    const back = await owner.client.request('PATCH', `/api/t/${owner.tenant.slug}/members/${owner.user.id}`, { role: 'owner' });
    expect(back.status).toBe(403);
  });

  it('removal requires reassignTo when they own opportunities, then reassigns everything atomically', async () => {
    const owner = await signUp();
    const leaver = await addMember(owner.tenant.id, 'member', 'Lee Leaver');
    const heir = await addMember(owner.tenant.id, 'member', 'Hal Heir');
    const viewer = await addMember(owner.tenant.id, 'viewer');
    const slug = owner.tenant.slug;
    const base = `/api/t/${slug}/members`;
    const deal = (await leaver.client.post(`/api/t/${slug}/opportunities`, { title: 'Leaver deal', accountName: 'Leaver Buyer', amount: 500 })).body;
    await leaver.client.post(`/api/t/${slug}/opportunities`, { title: 'Leaver deal 2' });
    await leaver.client.post(`/api/t/${slug}/opportunities/${deal.id}/activities`, { kind: 'call', subject: 'Call back', dueAt: '2030-01-01T09:00:00Z' });

    const bare = await owner.client.request('DELETE', `${base}/${leaver.user.id}`);
    expect(bare.status).toBe(409);
    expect(bare.body).toMatchObject({ code: 'reassign_required', opportunities: 2, plannedFollowUps: 1 });
    for (const target of ['nobody', leaver.user.id, viewer.user.id]) {
      const bad = await owner.client.request('DELETE', `${base}/${leaver.user.id}?reassignTo=${target}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe('query.reassignTo');
    }
    const outsider = await signUp({ workspaceName: 'Outside' });
    expect((await owner.client.request('DELETE', `${base}/${leaver.user.id}?reassignTo=${outsider.user.id}`)).status).toBe(400);
    expect(await roleOf(owner.tenant.id, leaver.user.id)).toBe('member');

    const removed = await owner.client.request('DELETE', `${base}/${leaver.user.id}?reassignTo=${heir.user.id}`);
    expect(removed.status).toBe(204);
    expect(await roleOf(owner.tenant.id, leaver.user.id)).toBeNull();
    const owned = (sql: string) => env.DB.prepare(sql).bind(owner.tenant.id, leaver.user.id).first('n');
    expect(await owned('select count(*) as n from opportunities where tenant_id = ? and owner_id = ?')).toBe(0);
    expect(await owned('select count(*) as n from accounts where tenant_id = ? and owner_id = ?')).toBe(0);
    expect(await owned('select count(*) as n from activities where tenant_id = ? and owner_id = ? and done_at is null')).toBe(0);
    const heirs = await env.DB.prepare('select count(*) as n from opportunities where tenant_id = ? and owner_id = ?').bind(owner.tenant.id, heir.user.id).first('n');
    expect(heirs).toBe(2);
    expect(await auditRows(owner.tenant.id, 'member')).toEqual([expect.objectContaining({ action: 'remove', entityId: leaver.user.id, after: JSON.stringify({ reassignTo: heir.user.id }) })]);
    // The removed person no longer reaches the workspace.
    expect((await leaver.client.get(`/api/t/${slug}/opportunities`)).status).toBe(404);
  });

  it('lets someone without opportunities go without reassignTo, and lets an admin remove themself', async () => {
    const owner = await signUp();
    const idle = await addMember(owner.tenant.id, 'viewer');
    const admin = await addMember(owner.tenant.id, 'admin');
    const base = `/api/t/${owner.tenant.slug}/members`;
    expect((await owner.client.request('DELETE', `${base}/${idle.user.id}`)).status).toBe(204);
    expect((await admin.client.request('DELETE', `${base}/${admin.user.id}`)).status).toBe(204);
    expect(await roleOf(owner.tenant.id, admin.user.id)).toBeNull();
    expect((await owner.client.request('DELETE', `${base}/nobody`)).status).toBe(404);
  });

  it('an owner may leave once another owner exists', async () => {
    const owner = await signUp();
    const next = await addMember(owner.tenant.id, 'member');
    const base = `/api/t/${owner.tenant.slug}/members`;
    expect((await owner.client.request('PATCH', `${base}/${next.user.id}`, { role: 'owner' })).status).toBe(200);
    // Now an admin; the workspace has another owner.
    expect((await owner.client.request('DELETE', `${base}/${owner.user.id}`)).status).toBe(204);
    expect(await roleOf(owner.tenant.id, next.user.id)).toBe('owner');
  });
});
