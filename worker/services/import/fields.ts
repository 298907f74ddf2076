// Import targets: which fields each entity can receive from a file, and the limits they obey.

export type ImportEntity = 'opportunities' | 'accounts' | 'contacts';

export const IMPORT_ENTITIES = ['opportunities', 'accounts', 'contacts'] as const satisfies readonly ImportEntity[];

export const TARGET_FIELDS = {
  opportunities: [
    'externalId', 'title', 'account', 'contact', 'owner', 'stage', 'status', 'type', 'source', 'product',
    'amount', 'expectedCloseDate', 'createdAt', 'closedAt', 'stageEnteredAt', 'lostReason', 'needs', 'notes', 'pipeline',
  ],
  accounts: ['externalId', 'name', 'industry', 'city', 'phone', 'website', 'owner', 'notes'],
  contacts: ['externalId', 'name', 'account', 'jobTitle', 'phone', 'email', 'wechat', 'isKey'],
} as const;

export type TargetField<E extends ImportEntity = ImportEntity> = (typeof TARGET_FIELDS)[E][number];

/** The one field a row cannot be imported without. */
export const REQUIRED_FIELD = { opportunities: 'title', accounts: 'name', contacts: 'name' } as const satisfies {
  [E in ImportEntity]: TargetField<E>;
};

export const DATE_FIELDS = ['expectedCloseDate', 'createdAt', 'closedAt', 'stageEnteredAt'] as const;
export type DateField = (typeof DATE_FIELDS)[number];

// The same limits the API's own schemas apply (worker/routes/*: titles and names 200, catalog entries 100,
// notes 5000 …), so a row the preview accepts is one the writes accept.
export const FIELD_MAX_LENGTH: Record<string, number> = {
  externalId: 200,
  title: 200,
  name: 200,
  account: 200,
  contact: 200,
  owner: 200,
  stage: 100,
  type: 100,
  source: 100,
  product: 100,
  lostReason: 100,
  pipeline: 100,
  needs: 5000,
  notes: 5000,
  industry: 100,
  city: 100,
  phone: 50,
  website: 500,
  email: 254,
  wechat: 100,
  jobTitle: 100,
};

export function isTargetField(entity: ImportEntity, field: string): field is TargetField {
  return (TARGET_FIELDS[entity] as readonly string[]).includes(field);
}
