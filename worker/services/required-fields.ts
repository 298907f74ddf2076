// Which of a stage's required fields an opportunity is missing (so the UI can ask for them).
import type { RequirableField } from '../../db/seed/templates/types';

export interface RequiredFieldValues {
  amount: number | null;
  expectedCloseDate: string | null;
  accountId: string | null;
  primaryContactId: string | null;
  typeId: string | null;
  sourceId: string | null;
  productCount: number;
  notes: string | null;
}

export function missingRequiredFields(required: readonly string[], values: RequiredFieldValues): RequirableField[] {
  const missing: RequirableField[] = [];
  for (const field of required as RequirableField[]) {
    const present =
      field === 'products' ? values.productCount > 0 : field === 'notes' ? Boolean(values.notes?.trim()) : values[field] !== null && values[field] !== undefined;
    if (!present) missing.push(field);
  }
  return missing;
}
