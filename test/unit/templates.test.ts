import { describe, it, expect } from 'vitest';
import {
  LOCALES,
  REQUIRABLE_FIELDS,
  TEMPLATES,
  findTemplate,
  type RequirableField,
  type SampleData,
  type SampleOpportunity,
  type Template,
  type Text,
} from '../../db/seed/templates';

const INDUSTRY_IDS = [
  'b2b-general',
  'saas',
  'consulting',
  'real-estate',
  'education',
  'manufacturing',
  'renovation',
];
const EXAMPLE_DOMAINS = ['example.com', 'example.org', 'example.net'];
const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Every Text a user can see in a template, labelled with where it lives. */
function textsOf(template: Template): [string, Text][] {
  const texts: [string, Text][] = [
    ['name', template.name],
    ['description', template.description],
  ];
  for (const pipeline of template.pipelines) {
    texts.push([`pipeline ${pipeline.key}`, pipeline.name]);
    for (const stage of pipeline.stages) {
      texts.push([`stage ${pipeline.key}/${stage.key}`, stage.name]);
    }
  }
  const catalogs = {
    type: template.opportunityTypes,
    source: template.sources,
    'lost reason': template.lostReasons,
    product: template.products,
  };
  for (const [label, items] of Object.entries(catalogs)) {
    for (const item of items) texts.push([`${label} ${item.key}`, item.name]);
  }
  return texts;
}

function duplicates(values: string[]): string[] {
  return values.filter((value, index) => values.indexOf(value) !== index);
}

/** Whether an opportunity already has the value a stage requires. */
function hasField(opportunity: SampleOpportunity, field: RequirableField): boolean {
  switch (field) {
    case 'amount':
      return opportunity.amount !== undefined;
    case 'expectedCloseDate':
      return opportunity.expectedCloseInDays !== undefined;
    case 'accountId':
      return opportunity.accountKey !== '';
    case 'primaryContactId':
      return opportunity.primaryContactKey !== undefined;
    case 'typeId':
      return opportunity.typeKey !== undefined;
    case 'sourceId':
      return opportunity.sourceKey !== undefined;
    case 'products':
      return (opportunity.products?.length ?? 0) > 0;
    case 'notes':
      return (opportunity.notes ?? '').trim() !== '';
  }
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

describe('template gallery', () => {
  it('offers every industry template followed by the blank template', () => {
    expect(TEMPLATES.map((template) => template.id)).toEqual([...INDUSTRY_IDS, 'blank']);
  });

  it('has unique template ids', () => {
    expect(duplicates(TEMPLATES.map((template) => template.id))).toEqual([]);
  });

  it('uses URL-safe template ids', () => {
    for (const template of TEMPLATES) expect(template.id).toMatch(KEBAB_CASE);
  });

  it('finds a template by its id', () => {
    for (const template of TEMPLATES) expect(findTemplate(template.id)).toBe(template);
  });

  it('returns undefined for an unknown template id', () => {
    expect(findTemplate('no-such-template')).toBeUndefined();
  });

  it('ships sample data with every industry template', () => {
    for (const id of INDUSTRY_IDS) expect(findTemplate(id)?.sample, id).toBeTruthy();
  });

  it('keeps the blank template free of products and sample data', () => {
    const blank = findTemplate('blank');
    expect(blank?.products).toEqual([]);
    expect(blank?.sample).toBeNull();
  });
});

describe.each(TEMPLATES.map((template) => [template.id, template] as const))(
  'template %s',
  (_id, template) => {
    const stagesByPipeline = new Map(
      template.pipelines.map((pipeline) => [pipeline.key, pipeline.stages]),
    );

    it('has every user-visible text in both zh-CN and en', () => {
      const missing = textsOf(template).flatMap(([where, text]) =>
        LOCALES.filter((locale) => (text[locale] ?? '').trim() === '').map(
          (locale) => `${where} (${locale})`,
        ),
      );
      expect(missing).toEqual([]);
    });

    it('has an icon', () => {
      expect(template.icon.trim()).not.toBe('');
    });

    it('has at least one pipeline', () => {
      expect(template.pipelines.length).toBeGreaterThan(0);
    });

    it('has unique pipeline keys', () => {
      expect(duplicates(template.pipelines.map((pipeline) => pipeline.key))).toEqual([]);
    });

    it('has unique stage keys within each pipeline', () => {
      for (const pipeline of template.pipelines) {
        expect(duplicates(pipeline.stages.map((stage) => stage.key))).toEqual([]);
      }
    });

    it('uses kebab-case pipeline and stage keys', () => {
      for (const pipeline of template.pipelines) {
        expect(pipeline.key).toMatch(KEBAB_CASE);
        for (const stage of pipeline.stages) expect(stage.key).toMatch(KEBAB_CASE);
      }
    });

    it('gives every pipeline at least one open stage', () => {
      for (const pipeline of template.pipelines) {
        expect(pipeline.stages.some((stage) => stage.kind === 'open')).toBe(true);
      }
    });

    it('gives every pipeline exactly one won stage, at probability 100', () => {
      for (const pipeline of template.pipelines) {
        const won = pipeline.stages.filter((stage) => stage.kind === 'won');
        expect(won).toHaveLength(1);
        expect(won[0]?.probability).toBe(100);
      }
    });

    it('gives every pipeline at least one lost stage, at probability 0', () => {
      for (const pipeline of template.pipelines) {
        const lost = pipeline.stages.filter((stage) => stage.kind === 'lost');
        expect(lost.length).toBeGreaterThan(0);
        for (const stage of lost) expect(stage.probability).toBe(0);
      }
    });

    it('keeps open stage probabilities between 0 and 100 and never decreasing', () => {
      for (const pipeline of template.pipelines) {
        const probabilities = pipeline.stages
          .filter((stage) => stage.kind === 'open')
          .map((stage) => stage.probability);
        for (const probability of probabilities) {
          expect(probability).toBeGreaterThanOrEqual(0);
          expect(probability).toBeLessThanOrEqual(100);
        }
        expect(probabilities).toEqual([...probabilities].sort((a, b) => a - b));
      }
    });

    it('places the won and lost stages after all open stages', () => {
      for (const pipeline of template.pipelines) {
        const kinds = pipeline.stages.map((stage) => stage.kind);
        const firstClosed = kinds.findIndex((kind) => kind !== 'open');
        expect(kinds.slice(firstClosed).includes('open')).toBe(false);
      }
    });

    it('sets a positive staleAfterDays on open stages and null on closed ones', () => {
      for (const pipeline of template.pipelines) {
        for (const stage of pipeline.stages) {
          if (stage.kind === 'open') {
            expect(Number.isInteger(stage.staleAfterDays)).toBe(true);
            expect(stage.staleAfterDays).toBeGreaterThan(0);
          } else {
            expect(stage.staleAfterDays).toBeNull();
          }
        }
      }
    });

    it('only requires fields from REQUIRABLE_FIELDS', () => {
      const allowed: readonly string[] = REQUIRABLE_FIELDS;
      for (const pipeline of template.pipelines) {
        for (const stage of pipeline.stages) {
          for (const field of stage.requiredFields) expect(allowed).toContain(field);
        }
      }
    });

    it('has unique keys within each catalog', () => {
      expect(duplicates(template.opportunityTypes.map((item) => item.key))).toEqual([]);
      expect(duplicates(template.sources.map((item) => item.key))).toEqual([]);
      expect(duplicates(template.lostReasons.map((item) => item.key))).toEqual([]);
      expect(duplicates(template.products.map((item) => item.key))).toEqual([]);
    });

    it('has unique product codes', () => {
      expect(duplicates(template.products.map((product) => product.code))).toEqual([]);
    });

    it('prices every product as a positive whole number of minor units per locale', () => {
      for (const product of template.products) {
        for (const locale of LOCALES) {
          expect(Number.isInteger(product.unitPrice[locale])).toBe(true);
          expect(product.unitPrice[locale]).toBeGreaterThan(0);
        }
      }
    });

    const sample = template.sample;
    if (!sample) return;

    describe.each(LOCALES)('%s sample data', (locale) => {
      const data: SampleData = sample[locale];
      const accountKeys = new Set(data.accounts.map((account) => account.key));
      const contactsByKey = new Map(data.contacts.map((contact) => [contact.key, contact]));
      const opportunitiesByKey = new Map(
        data.opportunities.map((opportunity) => [opportunity.key, opportunity]),
      );
      const ownerKeys = new Set(['owner', ...data.teammates.map((teammate) => teammate.key)]);
      const stageOf = (opportunity: SampleOpportunity) =>
        stagesByPipeline
          .get(opportunity.pipelineKey)
          ?.find((stage) => stage.key === opportunity.stageKey);

      it('has unique keys for teammates, accounts, contacts and opportunities', () => {
        expect(duplicates(data.teammates.map((teammate) => teammate.key))).toEqual([]);
        expect(duplicates(data.accounts.map((account) => account.key))).toEqual([]);
        expect(duplicates(data.contacts.map((contact) => contact.key))).toEqual([]);
        expect(duplicates(data.opportunities.map((opportunity) => opportunity.key))).toEqual([]);
      });

      it('does not give a teammate the reserved key "owner"', () => {
        expect(data.teammates.map((teammate) => teammate.key)).not.toContain('owner');
      });

      it('links every contact to an existing account', () => {
        const orphans = data.contacts.filter((contact) => !accountKeys.has(contact.accountKey));
        expect(orphans.map((contact) => contact.key)).toEqual([]);
      });

      it('marks exactly one key contact per account', () => {
        for (const account of data.accounts) {
          const keyContacts = data.contacts.filter(
            (contact) => contact.accountKey === account.key && contact.isKey,
          );
          expect(keyContacts, account.key).toHaveLength(1);
        }
      });

      it('assigns every opportunity to the owner or an existing teammate', () => {
        const unknown = data.opportunities.filter(
          (opportunity) => !ownerKeys.has(opportunity.ownerKey),
        );
        expect(unknown.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('links every opportunity to an existing account', () => {
        const orphans = data.opportunities.filter(
          (opportunity) => !accountKeys.has(opportunity.accountKey),
        );
        expect(orphans.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('picks each primary contact from the opportunity’s own account', () => {
        const mismatched = data.opportunities.filter((opportunity) => {
          if (opportunity.primaryContactKey === undefined) return false;
          const contact = contactsByKey.get(opportunity.primaryContactKey);
          return contact?.accountKey !== opportunity.accountKey;
        });
        expect(mismatched.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('places every opportunity in an existing pipeline and stage', () => {
        const misplaced = data.opportunities.filter((opportunity) => !stageOf(opportunity));
        expect(misplaced.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('uses only opportunity types and sources from the catalogs', () => {
        const typeKeys = new Set(template.opportunityTypes.map((item) => item.key));
        const sourceKeys = new Set(template.sources.map((item) => item.key));
        const unknown = data.opportunities.filter(
          (opportunity) =>
            (opportunity.typeKey !== undefined && !typeKeys.has(opportunity.typeKey)) ||
            (opportunity.sourceKey !== undefined && !sourceKeys.has(opportunity.sourceKey)),
        );
        expect(unknown.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('uses only catalog products, in positive whole quantities', () => {
        const productKeys = new Set(template.products.map((product) => product.key));
        for (const opportunity of data.opportunities) {
          for (const line of opportunity.products ?? []) {
            expect(productKeys.has(line.productKey), `${opportunity.key}: ${line.productKey}`).toBe(
              true,
            );
            expect(Number.isInteger(line.quantity) && line.quantity > 0).toBe(true);
          }
        }
      });

      it('gives a catalog lost reason to every opportunity in a lost stage', () => {
        const reasonKeys = new Set(template.lostReasons.map((item) => item.key));
        const missing = data.opportunities.filter(
          (opportunity) =>
            stageOf(opportunity)?.kind === 'lost' &&
            !(opportunity.lostReasonKey !== undefined && reasonKeys.has(opportunity.lostReasonKey)),
        );
        expect(missing.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('gives a lost reason only to opportunities in a lost stage', () => {
        const extra = data.opportunities.filter(
          (opportunity) =>
            opportunity.lostReasonKey !== undefined && stageOf(opportunity)?.kind !== 'lost',
        );
        expect(extra.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('fills in every field its stage requires', () => {
        const incomplete = data.opportunities.flatMap((opportunity) =>
          (stageOf(opportunity)?.requiredFields ?? [])
            .filter((field) => !hasField(opportunity, field))
            .map((field) => `${opportunity.key}: ${field}`),
        );
        expect(incomplete).toEqual([]);
      });

      it('uses positive whole amounts in minor units', () => {
        for (const opportunity of data.opportunities) {
          if (opportunity.amount === undefined) continue;
          expect(Number.isInteger(opportunity.amount) && opportunity.amount > 0).toBe(true);
        }
      });

      it('never keeps an opportunity in its stage longer than it has existed', () => {
        const impossible = data.opportunities.filter(
          (opportunity) =>
            opportunity.inStageDays < 0 || opportunity.inStageDays > opportunity.createdDaysAgo,
        );
        expect(impossible.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('dates the expected close of won and lost opportunities in the past', () => {
        const future = data.opportunities.filter(
          (opportunity) =>
            stageOf(opportunity)?.kind !== 'open' && (opportunity.expectedCloseInDays ?? -1) >= 0,
        );
        expect(future.map((opportunity) => opportunity.key)).toEqual([]);
      });

      it('links every activity to an existing opportunity', () => {
        const orphans = data.activities.filter(
          (activity) => !opportunitiesByKey.has(activity.opportunityKey),
        );
        expect(orphans.map((activity) => activity.subject)).toEqual([]);
      });

      it('never dates an activity before its opportunity was created', () => {
        const early = data.activities.filter((activity) => {
          const opportunity = opportunitiesByKey.get(activity.opportunityKey);
          return opportunity !== undefined && activity.atInDays < -opportunity.createdDaysAgo;
        });
        expect(early.map((activity) => activity.subject)).toEqual([]);
      });

      it('records an outcome for past activities and an expected result for planned ones', () => {
        const incomplete = data.activities.filter((activity) =>
          activity.atInDays < 0
            ? !activity.outcome || activity.expectedResult !== undefined
            : !activity.expectedResult ||
              activity.outcome !== undefined ||
              activity.customerFeedback !== undefined,
        );
        expect(incomplete.map((activity) => activity.subject)).toEqual([]);
      });

      it('schedules activities between 8:00 and 20:00', () => {
        for (const activity of data.activities) {
          expect(Number.isInteger(activity.hour)).toBe(true);
          expect(activity.hour).toBeGreaterThanOrEqual(8);
          expect(activity.hour).toBeLessThanOrEqual(20);
        }
      });

      it('uses only example.com, example.org or example.net email addresses', () => {
        const emails = data.contacts.flatMap((contact) => (contact.email ? [contact.email] : []));
        const foreign = emails.filter((email) => !EXAMPLE_DOMAINS.includes(domainOf(email)));
        expect(foreign).toEqual([]);
      });

      it('uses only example.com, example.org or example.net websites', () => {
        const websites = data.accounts.flatMap((account) =>
          account.website ? [account.website] : [],
        );
        const foreign = websites.filter((website) => {
          const host = new URL(website).hostname.replace(/^www\./, '');
          return !EXAMPLE_DOMAINS.includes(host);
        });
        expect(foreign).toEqual([]);
      });
    });
  },
);
