// Reading our OpenAPI 3.1 document for the docs page (/api/docs): operations grouped by tag,
// $ref resolution and short type labels. Pure functions over the JSON; the page renders them.
// A self-made renderer rather than Swagger UI / Redoc / Scalar: those weigh 0.5–2 MB of script,
// while this page needs a few kB and loads only when visited (its own route chunk).

export type JsonSchema = {
	$ref?: string;
	type?: string | string[];
	format?: string;
	description?: string;
	enum?: unknown[];
	const?: unknown;
	default?: unknown;
	example?: unknown;
	nullable?: boolean;
	items?: JsonSchema;
	properties?: Record<string, JsonSchema>;
	required?: string[];
	additionalProperties?: boolean | JsonSchema;
	anyOf?: JsonSchema[];
	oneOf?: JsonSchema[];
	allOf?: JsonSchema[];
	minimum?: number;
	maximum?: number;
	minLength?: number;
	maxLength?: number;
};

interface MediaContent {
	[mediaType: string]: { schema?: JsonSchema } | undefined;
}

interface RawOperation {
	tags?: string[];
	summary?: string;
	description?: string;
	parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
	requestBody?: { required?: boolean; description?: string; content?: MediaContent };
	responses?: Record<string, { description?: string; content?: MediaContent }>;
	security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
	openapi: string;
	info: { title: string; version: string; description?: string };
	paths: Record<string, Partial<Record<string, RawOperation>>>;
	components?: { schemas?: Record<string, JsonSchema>; securitySchemes?: Record<string, { type: string; description?: string }> };
}

export interface Body {
	mediaType: string;
	schema: JsonSchema | undefined;
}

export interface Operation {
	/** Anchor id, e.g. "get-api-t-tenant-opportunities". */
	id: string;
	method: string;
	path: string;
	tag: string;
	summary: string;
	description: string | null;
	parameters: { name: string; in: string; required: boolean; description: string | null; schema: JsonSchema | undefined }[];
	requestBody: { required: boolean; bodies: Body[] } | null;
	responses: { status: string; description: string; bodies: Body[] }[];
	/** Which credentials the operation accepts: none, the session cookie, or cookie or bearer token. */
	auth: 'public' | 'cookie' | 'cookie-or-bearer';
}

export interface TagGroup {
	tag: string;
	id: string;
	operations: Operation[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

const bodiesOf = (content: MediaContent | undefined): Body[] => Object.entries(content ?? {}).map(([mediaType, value]) => ({ mediaType, schema: value?.schema }));

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function authOf(security: RawOperation['security']): Operation['auth'] {
	const schemes = new Set((security ?? []).flatMap((requirement) => Object.keys(requirement)));
	if (schemes.has('bearerAuth')) return 'cookie-or-bearer';
	if (schemes.has('cookieAuth')) return 'cookie';
	return 'public';
}

/** Operations in document order, grouped by their first tag (groups in order of first appearance). */
export function groupByTag(document: OpenApiDocument): TagGroup[] {
	const groups = new Map<string, TagGroup>();
	for (const [path, item] of Object.entries(document.paths)) {
		for (const method of METHODS) {
			const raw = item[method];
			if (!raw) continue;
			const tag = raw.tags?.[0] ?? 'other';
			let group = groups.get(tag);
			if (!group) groups.set(tag, (group = { tag, id: `tag-${slug(tag)}`, operations: [] }));
			group.operations.push({
				id: `${method}-${slug(path)}`,
				method: method.toUpperCase(),
				path,
				tag,
				summary: raw.summary ?? '',
				description: raw.description ?? null,
				parameters: (raw.parameters ?? []).map((p) => ({ name: p.name, in: p.in, required: Boolean(p.required), description: p.description ?? p.schema?.description ?? null, schema: p.schema })),
				requestBody: raw.requestBody ? { required: Boolean(raw.requestBody.required), bodies: bodiesOf(raw.requestBody.content) } : null,
				responses: Object.entries(raw.responses ?? {}).map(([status, response]) => ({ status, description: response.description ?? '', bodies: bodiesOf(response.content) })),
				auth: authOf(raw.security),
			});
		}
	}
	return [...groups.values()];
}

/** Keeps the operations whose method, path, summary or tag contain every word of `query`. */
export function filterGroups(groups: TagGroup[], query: string): TagGroup[] {
	const words = query.toLowerCase().split(/\s+/).filter(Boolean);
	if (words.length === 0) return groups;
	return groups
		.map((group) => ({
			...group,
			operations: group.operations.filter((operation) => {
				const haystack = `${operation.method} ${operation.path} ${operation.summary} ${operation.tag}`.toLowerCase();
				return words.every((word) => haystack.includes(word));
			}),
		}))
		.filter((group) => group.operations.length > 0);
}

/** The component name of a `#/components/schemas/Name` reference. */
export const refName = (ref: string) => ref.split('/').at(-1) ?? ref;

/** Follows a $ref to the named component schema (one level; components may refer on). */
export function resolve(document: OpenApiDocument, schema: JsonSchema | undefined): { name: string | null; schema: JsonSchema | undefined } {
	if (!schema?.$ref) return { name: null, schema };
	const name = refName(schema.$ref);
	return { name, schema: document.components?.schemas?.[name] };
}

/** Variants of a union other than null, and whether null is one of them. */
export function unionParts(schema: JsonSchema): { variants: JsonSchema[]; nullable: boolean } {
	const members = schema.anyOf ?? schema.oneOf ?? [];
	const variants = members.filter((member) => member.type !== 'null');
	return { variants, nullable: variants.length !== members.length || schema.nullable === true };
}

/** A short type label: "string (date-time)", "integer", "array of OpportunityCard", "open | won | lost", "string | null". */
export function typeLabel(document: OpenApiDocument, schema: JsonSchema | undefined, depth = 0): string {
	if (!schema) return 'any';
	if (schema.$ref) return refName(schema.$ref);
	if (depth > 4) return '…';
	if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
	if (schema.const !== undefined) return JSON.stringify(schema.const);
	if (schema.anyOf || schema.oneOf) {
		const { variants, nullable } = unionParts(schema);
		const label = variants.map((variant) => typeLabel(document, variant, depth + 1)).join(' | ') || 'any';
		return nullable ? `${label} | null` : label;
	}
	if (schema.allOf) return schema.allOf.map((part) => typeLabel(document, part, depth + 1)).join(' & ');
	const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
	const named = types.map((type) => {
		if (type === 'array') return `array of ${typeLabel(document, schema.items, depth + 1)}`;
		if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') return `map of ${typeLabel(document, schema.additionalProperties, depth + 1)}`;
		return schema.format ? `${type} (${schema.format})` : type;
	});
	const label = named.join(' | ') || (schema.properties ? 'object' : 'any');
	return schema.nullable ? `${label} | null` : label;
}

/** Limits and defaults worth showing next to a field. */
export function constraints(schema: JsonSchema | undefined): string[] {
	if (!schema) return [];
	const notes: string[] = [];
	if (schema.minimum !== undefined) notes.push(`≥ ${schema.minimum}`);
	if (schema.maximum !== undefined) notes.push(`≤ ${schema.maximum}`);
	if (schema.minLength !== undefined && schema.minLength > 0) notes.push(`min length ${schema.minLength}`);
	if (schema.maxLength !== undefined) notes.push(`max length ${schema.maxLength}`);
	if (schema.default !== undefined) notes.push(`default ${JSON.stringify(schema.default)}`);
	if (schema.example !== undefined) notes.push(`e.g. ${JSON.stringify(schema.example)}`);
	return notes;
}

/** The object schema to list fields of (through a $ref, an array's items or a nullable union), if any. */
export function objectOf(document: OpenApiDocument, schema: JsonSchema | undefined, depth = 0): { name: string | null; schema: JsonSchema } | null {
	if (!schema || depth > 3) return null;
	const resolved = resolve(document, schema);
	const target = resolved.schema;
	if (!target) return null;
	if (target.properties) return { name: resolved.name, schema: target };
	if (target.items) return objectOf(document, target.items, depth + 1);
	if (target.anyOf || target.oneOf) {
		const { variants } = unionParts(target);
		if (variants.length === 1) return objectOf(document, variants[0], depth + 1);
	}
	if (target.allOf) {
		const parts = target.allOf.map((part) => objectOf(document, part, depth + 1)?.schema).filter((part): part is JsonSchema => Boolean(part));
		if (parts.length) return { name: resolved.name, schema: { properties: Object.assign({}, ...parts.map((p) => p.properties)), required: parts.flatMap((p) => p.required ?? []) } };
	}
	return null;
}
