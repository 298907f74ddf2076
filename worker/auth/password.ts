// Password hashing: Argon2id with OWASP's first listed configuration (m=19 MiB, t=2, p=1).
// Why not PBKDF2: OWASP lists PBKDF2-HMAC-SHA256 at 600,000 iterations, but production workerd
// rejects more than 100,000 (local workerd accepts them, so only this code can keep us honest).
// Argon2id at 19 MiB fits a Worker's 128 MB memory and costs ~200 ms of CPU in workerd: it needs
// the paid plan's CPU limit (the free plan's 10 ms is too little for any OWASP-listed KDF).
import { argon2id } from '@noble/hashes/argon2.js';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeBase64IgnorePadding, encodeBase64NoPadding } from '@oslojs/encoding';

export const PASSWORD_KDF: PasswordKdf = Object.freeze({
  algorithm: 'argon2id' as const,
  memoryKiB: 19_456,
  iterations: 2,
  parallelism: 1,
  saltBytes: 16,
  hashBytes: 32,
});

export interface PasswordKdf {
  readonly algorithm: 'argon2id';
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
  readonly saltBytes: number;
  readonly hashBytes: number;
}

/**
 * The test suites' parameters (m=64 KiB, t=1): the vitest and Playwright servers set the variable
 * PASSWORD_KDF to TEST_PASSWORD_KDF_FLAG, because hundreds of sign-ups at ~200 ms of CPU each were
 * most of the suite's time. wrangler.toml never sets it (vitest.config.ts refuses to start if it
 * does) and test/unit/password.test.ts pins the production parameters. Verification always reads
 * the parameters from the stored hash, so either kind verifies anywhere.
 */
export const TEST_PASSWORD_KDF: PasswordKdf = Object.freeze({ ...PASSWORD_KDF, memoryKiB: 64, iterations: 1 });
export const TEST_PASSWORD_KDF_FLAG = 'weak-for-tests-only';
export const passwordKdf = (env: object): PasswordKdf =>
  ('PASSWORD_KDF' in env && env.PASSWORD_KDF === TEST_PASSWORD_KDF_FLAG ? TEST_PASSWORD_KDF : PASSWORD_KDF);

// Hashes with parameters above these are refused rather than computed: they would exceed a
// Worker's memory or CPU caps (and a stored hash is data an attacker might one day control).
const MAX_MEMORY_KIB = 65_536;
const MAX_ITERATIONS = 4;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

const encoder = new TextEncoder();

export async function hashPassword(password: string, kdf: PasswordKdf = PASSWORD_KDF): Promise<string> {
  const salt = new Uint8Array(kdf.saltBytes);
  crypto.getRandomValues(salt);
  const hash = await derive(password, salt, kdf.memoryKiB, kdf.iterations, kdf.parallelism, kdf.hashBytes);
  // PHC string format, so parameters can be raised later without breaking old hashes.
  return `$argon2id$v=19$m=${kdf.memoryKiB},t=${kdf.iterations},p=${kdf.parallelism}$${encodeBase64NoPadding(salt)}$${encodeBase64NoPadding(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePhc(stored);
  if (!parsed) return false;
  const hash = await derive(password, parsed.salt, parsed.m, parsed.t, parsed.p, parsed.hash.length);
  return constantTimeEqual(hash, parsed.hash);
}

/** Burns the same work as a real verification, so unknown emails take as long as wrong passwords. */
export async function verifyDummyPassword(password: string, kdf: PasswordKdf = PASSWORD_KDF): Promise<false> {
  await derive(password, new Uint8Array(kdf.saltBytes), kdf.memoryKiB, kdf.iterations, kdf.parallelism, kdf.hashBytes);
  return false;
}

// Each derivation holds ~19 MiB and an isolate has 128 MB. The async variant yields to the event
// loop, so parallel logins would run many derivations at once and exhaust the isolate; a
// semaphore cannot help, since Workers forbid one request from resolving another's promise.
// The synchronous derivation runs one at a time per isolate by construction: memory stays at one
// derivation, and other requests wait ~200 ms (Cloudflare spreads load over isolates).
export const MAX_CONCURRENT_HASHES = 1;
let running = 0;
let peak = 0;

async function derive(password: string, salt: Uint8Array, m: number, t: number, p: number, dkLen: number = PASSWORD_KDF.hashBytes) {
  running++;
  peak = Math.max(peak, running);
  try {
    return argon2id(encoder.encode(password.normalize('NFKC')), salt, { m, t, p, dkLen, maxmem: (m + 1024) * 1024 });
  } finally {
    running--;
  }
}

/** The most derivations that ever ran at once in this isolate (for tests); resets it. */
export function takePeakConcurrentHashes(): number {
  const value = peak;
  peak = running;
  return value;
}
function parsePhc(stored: string) {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (!match) return null;
  const [, m, t, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const params = { m: Number(m), t: Number(t), p: Number(p) };
  if (params.m > MAX_MEMORY_KIB || params.t > MAX_ITERATIONS || params.p !== 1) return null;
  return { ...params, salt: decodeBase64IgnorePadding(salt), hash: decodeBase64IgnorePadding(hash) };
}
