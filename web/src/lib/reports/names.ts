// Ids to names: the reports API answers with ids; the names come from the pipelines and the
// catalog the rest of the app already loads. An id not found there (a removed member, an
// archived product) shows as "(removed)", a null or empty key (no type, no source) as "(none)".
import type { Catalog, Pipeline } from '../api';
import { t } from '../i18n/index.svelte';

export interface NameBook {
	stage(id: string): string;
	/** The pipeline a stage belongs to ('' when unknown). */
	stagePipeline(id: string): string;
	stagePosition(id: string): number;
	pipeline(id: string): string;
	owner(id: string | null): string;
	type(id: string | null): string;
	source(id: string | null): string;
	product(id: string | null): string;
	channel(kind: string): string;
	band(key: string): string;
}

const CHANNELS = ['call', 'visit', 'meeting', 'email', 'wechat', 'other'] as const;
type Channel = (typeof CHANNELS)[number];

// The contract's band keys are not valid message keys (dots, '<', '+').
const BANDS: Record<string, 'none' | 'lt05' | '05to1' | '1to2' | '2plus'> = { none: 'none', '<0.5': 'lt05', '0.5-1': '05to1', '1-2': '1to2', '2+': '2plus' };
export const BAND_ORDER = Object.keys(BANDS);

function lookup(entries: { id: string; name: string }[] | undefined) {
	const map = new Map((entries ?? []).map((entry) => [entry.id, entry.name]));
	return (id: string | null) => (id === null || id === '' ? t('reports.none') : (map.get(id) ?? t('reports.unknown')));
}

export function nameBook(pipelines: Pipeline[], catalog: Catalog | null): NameBook {
	const stages = new Map(pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => [stage.id, { name: stage.name, pipelineId: pipeline.id, position: stage.position }] as const)));
	const pipelineNames = new Map(pipelines.map((pipeline) => [pipeline.id, pipeline.name]));
	return {
		stage: (id) => stages.get(id)?.name ?? t('reports.unknown'),
		stagePipeline: (id) => stages.get(id)?.pipelineId ?? '',
		stagePosition: (id) => stages.get(id)?.position ?? Number.MAX_SAFE_INTEGER,
		pipeline: (id) => pipelineNames.get(id) ?? t('reports.unknown'),
		owner: lookup(catalog?.members),
		type: lookup(catalog?.opportunityTypes),
		source: lookup(catalog?.sources),
		product: lookup(catalog?.products),
		channel: (kind) => ((CHANNELS as readonly string[]).includes(kind) ? t(`followUp.kinds.${kind as Channel}`) : kind),
		band: (key) => {
			const messageKey = BANDS[key];
			return messageKey ? t(`reports.followUp.bands.${messageKey}`) : key;
		},
	};
}
