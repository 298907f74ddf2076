// Types shared by the dictionaries and t().

/** Same shape as the English dictionary, every leaf a string: a missing or extra key fails the type-check. */
export type Messages<T> = { [K in keyof T]: T[K] extends string ? string : Messages<T[K]> };

type PluralSuffix = 'zero' | 'one' | 'two' | 'few' | 'many' | 'other';
type StripPlural<K extends string> = K extends `${infer Base}_${PluralSuffix}` ? Base : K;

/** Every message key as a dotted path ("login.submit"); plural keys without their suffix. */
export type MessageKey<T, Prefix extends string = ''> = {
	[K in keyof T & string]: T[K] extends string ? `${Prefix}${StripPlural<K>}` : MessageKey<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
