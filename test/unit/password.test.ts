import { describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_HASHES, PASSWORD_KDF, TEST_PASSWORD_KDF, TEST_PASSWORD_KDF_FLAG, hashPassword, passwordKdf, takePeakConcurrentHashes, verifyPassword } from '../../worker/auth/password';

describe('password hashing', () => {
  it('uses an OWASP-listed Argon2id configuration (m ≥ 19 MiB, t ≥ 2, p = 1)', () => {
    expect(PASSWORD_KDF.algorithm).toBe('argon2id');
    expect(PASSWORD_KDF.memoryKiB).toBeGreaterThanOrEqual(19_456);
    expect(PASSWORD_KDF.iterations).toBeGreaterThanOrEqual(2);
    expect(PASSWORD_KDF.parallelism).toBe(1);
    expect(PASSWORD_KDF.saltBytes).toBeGreaterThanOrEqual(16);
  });

  it('uses the production parameters unless a test server sets the exact test flag', async () => {
    expect(passwordKdf({})).toBe(PASSWORD_KDF);
    expect(passwordKdf({ PASSWORD_KDF: 'anything else' })).toBe(PASSWORD_KDF);
    expect(passwordKdf({ PASSWORD_KDF: TEST_PASSWORD_KDF_FLAG })).toBe(TEST_PASSWORD_KDF);
    expect(await hashPassword('correct horse battery staple')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // Test-server hashes verify with their own parameters, read from the stored string.
    const weak = await hashPassword('correct horse battery staple', TEST_PASSWORD_KDF);
    expect(weak).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    expect(await verifyPassword('correct horse battery staple', weak)).toBe(true);
    expect(await verifyPassword('wrong horse battery staple', weak)).toBe(false);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('treats canonically equivalent Unicode passwords as the same', async () => {
    const hash = await hashPassword('café-密码-123');
    expect(await verifyPassword('cafe\u0301-密码-123', hash)).toBe(true);
  });

  it('refuses stored hashes whose parameters would exceed a Worker’s limits', async () => {
    const hash = await hashPassword('password-one');
    const greedy = hash.replace('m=19456', 'm=1048576');
    expect(await verifyPassword('password-one', greedy)).toBe(false);
    expect(await verifyPassword('password-one', 'not a hash')).toBe(false);
  });
});

describe('password hashing under load', () => {
  it('computes one hash at a time per isolate, so memory stays bounded', async () => {
    takePeakConcurrentHashes();
    await Promise.all(Array.from({ length: 4 }, (_, i) => hashPassword(`parallel password ${i}`)));
    expect(takePeakConcurrentHashes()).toBe(MAX_CONCURRENT_HASHES);
    expect(MAX_CONCURRENT_HASHES * PASSWORD_KDF.memoryKiB * 1024).toBeLessThan(64 * 1024 * 1024);
  });
});
