import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { TEMPLATES, type Locale, type Template } from '../../db/seed/templates';
import { DEFAULT_TIMEZONE } from '../../worker/auth/signup';
import { localDate } from '../../worker/services/dates';
import { generateSampleHistory, seedOf } from '../../worker/services/sample-history';
import { ApiClient, signUp } from '../helpers/api';

/** The generated year of closed deals a sample signup adds today (besides the hand-written ones). */
function historyOf(template: Template, locale: Locale) {
  const sample = template.sample?.[locale];
  if (!sample) return { opportunities: [], activities: [] };
  const timeZone = DEFAULT_TIMEZONE[locale];
  return generateSampleHistory({ template, locale, sample, today: localDate(Date.now(), timeZone), timeZone, seed: seedOf(`${template.id}/${locale}`) });
}

describe('GET /api/templates', () => {
  it('lists at least seven industry templates and a blank one, in both languages', async () => {
    const response = await new ApiClient().get('/api/templates');
    expect(response.status).toBe(200);
    const ids = response.body.templates.map((t: { id: string }) => t.id);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(ids).toContain('blank');
    for (const template of response.body.templates) {
      expect(template.name['zh-CN']).not.toBe('');
      expect(template.name.en).not.toBe('');
      expect(template.pipelines.length).toBeGreaterThan(0);
    }
  });
});

describe.each(TEMPLATES.map((t) => [t.id, t] as const))('signing up from the %s template', (id, template) => {
  it.each(['zh-CN', 'en'] as const)('in %s creates its pipelines, stages and sample data', async (locale) => {
    const { client, tenant } = await signUp({ template: id, locale, sampleData: true });
    const { pipelines } = (await client.get(`/api/t/${tenant.slug}/pipelines`)).body;
    expect(pipelines.map((p: { name: string }) => p.name)).toEqual(template.pipelines.map((p) => p.name[locale]));
    for (const [i, pipeline] of template.pipelines.entries()) {
      expect(pipelines[i].stages.map((s: { name: string; probability: number; kind: string }) => [s.name, s.probability, s.kind])).toEqual(
        pipeline.stages.map((s) => [s.name[locale], s.probability, s.kind]),
      );
    }
    const count = pipelines.flatMap((p: { stages: { count: number }[] }) => p.stages).reduce((n: number, s: { count: number }) => n + s.count, 0);
    const history = historyOf(template, locale);
    expect(count).toBe((template.sample?.[locale].opportunities.length ?? 0) + history.opportunities.length);
    const catalogs = await env.DB.prepare(
      `select (select count(*) from opportunity_types where tenant_id = ?1) as types,
              (select count(*) from sources where tenant_id = ?1) as sources,
              (select count(*) from lost_reasons where tenant_id = ?1) as lostReasons,
              (select count(*) from products where tenant_id = ?1) as products,
              (select count(*) from activities where tenant_id = ?1) as activities,
              (select count(*) from memberships where tenant_id = ?1) as members`,
    )
      .bind(tenant.id)
      .first<Record<string, number>>();
    expect(catalogs).toEqual({
      types: template.opportunityTypes.length,
      sources: template.sources.length,
      lostReasons: template.lostReasons.length,
      products: template.products.length,
      activities: (template.sample?.[locale].activities.length ?? 0) + history.activities.length,
      members: 1 + (template.sample?.[locale].teammates.length ?? 0),
    });
  });
});

describe('a template’s sample history', () => {
  it('gives every sample opportunity a stage history ending in its current stage', async () => {
    const { tenant } = await signUp({ template: 'b2b-general', locale: 'en', sampleData: true });
    const mismatched = await env.DB.prepare(
      `select count(*) as n from opportunities o
       where o.tenant_id = ?1 and o.stage_id != (
         select sc.to_stage_id from stage_changes sc where sc.tenant_id = ?1 and sc.opportunity_id = o.id
         order by sc.changed_at desc limit 1)`,
    )
      .bind(tenant.id)
      .first<{ n: number }>();
    expect(mismatched!.n).toBe(0);
  });

  it('never lets sample teammates log in', async () => {
    const { tenant } = await signUp({ template: 'saas', locale: 'en', sampleData: true });
    const row = await env.DB.prepare(
      `select count(*) as n from users u join memberships m on m.user_id = u.id where m.tenant_id = ? and m.role != 'owner' and u.password_hash is not null`,
    )
      .bind(tenant.id)
      .first<{ n: number }>();
    expect(row!.n).toBe(0);
  });
});
