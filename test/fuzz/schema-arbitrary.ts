// JSON Schema (OpenAPI 3.1, as the app's route schemas produce it) → fast-check arbitraries that
// mostly respect the schema (so requests get past validation into the handlers and the SQL) and
// sometimes break it: wrong types, nasty strings and numbers, unknown keys, nulls.
import fc from 'fast-check';
import { NASTY_NUMBERS, NASTY_STRINGS } from './nasty';

export type Schema = Record<string, any>;

export interface Context {
  /** components.schemas, for $ref. */
  components: Record<string, Schema>;
  /** Real ids seen in the fixture workspace, so references sometimes resolve. */
  ids: string[];
}

const DATES = ['2026-01-31', '2026-12-07', '1970-01-01', '2100-02-28', '2026-12-07T09:30:00Z', '2026-06-30T23:59:59.999+08:00'];

/** Any JSON value of the wrong kind. */
export const wrong = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length < 20_000)),
    fc.constantFrom(...NASTY_NUMBERS),
    fc.constantFrom(null, true, false, {}, [], [null], { $gt: '' }, { __proto__: { admin: true } }),
  );

export function arbitrary(schema: Schema | undefined, ctx: Context, depth = 0, key = ''): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 9, arbitrary: shaped(schema, ctx, depth, key) }, { weight: 1, arbitrary: wrong() });
}

function shaped(schema: Schema | undefined, ctx: Context, depth: number, key: string): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return wrong();
  if (schema.$ref) return shaped(ctx.components[String(schema.$ref).split('/').pop()!], ctx, depth + 1, key);
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options) && options.length > 0) return fc.oneof(...options.map((s: Schema) => shaped(s, ctx, depth + 1, key)));
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return shaped(Object.assign({}, ...schema.allOf), ctx, depth + 1, key);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : ['string'];
  return fc.oneof(...types.map((type) => ofType(type, schema, ctx, depth, key)));
}

function ofType(type: string, schema: Schema, ctx: Context, depth: number, key: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1e6;
      return fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) }) },
        { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1, ...NASTY_NUMBERS) },
      );
    }
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...NASTY_NUMBERS));
    case 'array': {
      const maxLength = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 5, 5);
      return fc.oneof(
        { weight: 8, arbitrary: fc.array(arbitrary(schema.items, ctx, depth + 1, key), { minLength: Math.min(schema.minItems ?? 0, maxLength), maxLength }) },
        { weight: 1, arbitrary: fc.constant(Array.from({ length: (schema.maxItems ?? 1000) + 1 }, () => ctx.ids[0] ?? 'x')) },
      );
    }
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const required: string[] = Array.isArray(schema.required) ? schema.required : [];
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, arbitrary(s, ctx, depth + 1, name)])),
        { requiredKeys: required.filter((name) => name in properties) },
      );
      return fc.oneof(
        { weight: 8, arbitrary: record },
        { weight: 1, arbitrary: fc.tuple(record, fc.dictionary(fc.string({ maxLength: 12 }), wrong(), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...(a as object) })) },
      );
    }
    default:
      return stringOf(schema, ctx, key);
  }
}

function stringOf(schema: Schema, ctx: Context, key: string): fc.Arbitrary<string> {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
  const choices: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 4, arbitrary: fc.string({ minLength, maxLength: Math.max(minLength, Math.min(maxLength, 40)), unit: 'binary' }) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length < 20_000)) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(maxLength), 'x'.repeat(maxLength + 1)) },
  ];
  if (/id$/i.test(key) || /Ids?$/.test(key) || key === 'moveTo') choices.push({ weight: 6, arbitrary: fc.constantFrom(...(ctx.ids.length ? ctx.ids : ['none'])) });
  if (/date|At$|from|to$|Date/i.test(key)) choices.push({ weight: 4, arbitrary: fc.constantFrom(...DATES) });
  if (/email/i.test(key)) choices.push({ weight: 4, arbitrary: fc.emailAddress() });
  return fc.oneof(...choices);
}
