import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** Random 120-bit identifier for rows (24 base32 characters). */
export function newId(): string {
  return randomBase32(15);
}

/** `bytes` of CSPRNG output as lower-case base32 without padding. */
export function randomBase32(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return encodeBase32LowerCaseNoPadding(buffer);
}
