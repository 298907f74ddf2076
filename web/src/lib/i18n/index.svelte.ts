// UI language: i18next does the lookups (interpolation, plurals), a rune holds the current
// locale. t() reads that rune, so every template that calls t() re-renders when it changes.
import i18next from 'i18next';
import { en } from './en';
import type { MessageKey } from './types';
import { zhCN } from './zh-CN';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type TranslationKey = MessageKey<typeof en>;

const STORAGE_KEY = 'jihui.locale';

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** zh, zh-CN, zh-Hans-CN, zh-TW … → zh-CN (the only Chinese we have); anything else → en. */
export function localeFromLanguageTag(tag: string | undefined): Locale {
	return tag?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

// Private browsing modes (and some in-app browsers) throw on localStorage access.
function readStoredLocale(): Locale | null {
	try {
		const stored = localStorage.getItem(STORAGE_KEY);
		return isLocale(stored) ? stored : null;
	} catch {
		return null;
	}
}

function initialLocale(): Locale {
	if (typeof window === 'undefined') return 'en';
	return readStoredLocale() ?? localeFromLanguageTag(navigator.languages?.[0] ?? navigator.language);
}

const translator = i18next.createInstance();
const startLocale = initialLocale();
// initAsync: false — the resources are bundled, so init completes synchronously.
void translator.init({
	resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
	lng: startLocale,
	fallbackLng: 'en',
	supportedLngs: [...LOCALES],
	initAsync: false,
	// Svelte escapes text when rendering; escaping here too would show &amp; etc.
	interpolation: { escapeValue: false },
});

let current = $state<Locale>(startLocale);
applyDocumentLanguage(startLocale);

function applyDocumentLanguage(locale: Locale) {
	if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** The UI language; reading it inside a template or $derived subscribes to changes. */
export function getLocale(): Locale {
	return current;
}

/** Whether the user picked a language in this browser (otherwise it came from the browser settings). */
export function hasChosenLocale(): boolean {
	return readStoredLocale() !== null;
}

export function setLocale(locale: Locale, { remember = true }: { remember?: boolean } = {}) {
	current = locale;
	void translator.changeLanguage(locale);
	applyDocumentLanguage(locale);
	if (!remember) return;
	try {
		localStorage.setItem(STORAGE_KEY, locale);
	} catch {
		// Not persisted; the choice still holds for this page view.
	}
}

export function t(key: TranslationKey, params?: Record<string, string | number>): string {
	return translator.t(key, { ...params, lng: current });
}

/** Text the API sends in both languages (template names, descriptions). */
export function localized(text: Record<Locale, string>): string {
	return text[current];
}
