import { describe, expect, it } from 'vitest'
import {
  channelCheck,
  deploymentKeyCheck,
  doctorReport,
  hasherCheck,
  meetsOwasp,
  migrationsCheck,
  SLOW_HASH_MS,
  sharedCacheCheck,
  storeCheck,
} from './doctor.js'
import { OWASP_ARGON2ID } from './hashing.js'
import { describePropagation } from './propagation.js'

const settings = { cacheTtl: 600_000, sharedTtl: 600_000, heartbeat: null, pollInterval: null }
const argon2 = (memoryCost: number, timeCost: number) => ({
  algorithm: 'argon2id',
  memoryCost,
  timeCost,
  parallelism: 1,
})
const measured = (...value: number[]) => ({ ok: true as const, ms: 0, value })

describe('the doctor’s decisions', () => {
  it('store: a failure says where to look; a read over half the store timeout warns', () => {
    expect(storeCheck({ ok: false, error: 'ECONNREFUSED: connect failed' }, 3000)).toMatchObject({
      name: 'store',
      status: 'fail',
      detail: expect.stringMatching(/ECONNREFUSED.*KEYWARD_DATABASE_URL/),
    })
    expect(storeCheck({ ok: true, ms: 1500, value: null }, 3000).status).toBe('ok')
    expect(storeCheck({ ok: true, ms: 1501, value: null }, 3000)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/half the store timeout \(3000 ms\)/),
      ms: 1501,
    })
  })

  it('migrations: pending ones fail with what to run; a store that cannot tell is skipped', () => {
    const pending = { version: 5, statements: ['CREATE INDEX …'] }
    expect(
      migrationsCheck({ dialect: 'sqlite', applied: [1, 2, 3, 4], pending: [pending], current: false }),
    ).toMatchObject({ status: 'fail', detail: expect.stringMatching(/version 5.*run `keyward migrate`/) })
    expect(
      migrationsCheck({ dialect: 'postgres', applied: [1, 2, 3, 4], pending: [], current: true }),
    ).toMatchObject({
      status: 'ok',
      detail: 'current on postgres, at version 4.',
    })
    expect(migrationsCheck(null).status).toBe('skipped')
  })

  it('deployment key: unreadable fails; none with a bus warns (messages unauthenticated)', () => {
    expect(
      deploymentKeyCheck({ source: 'store', read: { ok: false, error: 'no such table' } }),
    ).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/no such table.*keyward migrate/),
    })
    expect(
      deploymentKeyCheck({ source: 'store', read: { ok: true, ms: 1, value: new Uint8Array(32) } }),
    ).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/32 bytes/),
    })
    expect(deploymentKeyCheck({ source: 'none', hasBus: true }).status).toBe('warn')
    expect(deploymentKeyCheck({ source: 'none', hasBus: false }).status).toBe('skipped')
    expect(deploymentKeyCheck({ source: 'shared-cache' }).status).toBe('ok')
  })

  it('channel: proven by a probe; a probe lost fails with the fallback bound; none warns; memory is skipped', () => {
    const postgres = describePropagation('postgres', settings)
    expect(channelCheck(postgres, { ok: true, ms: 3.14, value: undefined })).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/Postgres LISTEN\/NOTIFY and came back in 3.1 ms.*within 1000 ms/),
      ms: 3.1,
    })
    expect(channelCheck(postgres, { ok: false, error: 'no answer within 5000 ms' })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/did not come back \(no answer within 5000 ms\).*600000 ms.*LISTEN/),
    })
    expect(channelCheck(describePropagation('none', settings), null)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/no invalidation channel/),
    })
    expect(channelCheck(describePropagation('local', settings), null).status).toBe('skipped')
  })

  it('shared cache: skipped when not configured, a failure says to check Redis', () => {
    expect(sharedCacheCheck(null).status).toBe('skipped')
    expect(sharedCacheCheck({ ok: false, error: 'Redis is not reachable' })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/KEYWARD_REDIS_URL/),
    })
    expect(sharedCacheCheck({ ok: true, ms: 0.4, value: null }).status).toBe('ok')
  })

  it('hasher: the median verification against SLOW_HASH_MS, argon2id against OWASP’s configurations', () => {
    expect(meetsOwasp(OWASP_ARGON2ID)).toBe(true)
    expect(meetsOwasp({ memoryCost: 47_104, timeCost: 1 })).toBe(true)
    expect(meetsOwasp({ memoryCost: 12_288, timeCost: 3 })).toBe(true)
    expect(meetsOwasp({ memoryCost: 12_288, timeCost: 2 })).toBe(false)
    expect(meetsOwasp({ memoryCost: 1024, timeCost: 1 })).toBe(false)

    const owasp = argon2(19_456, 2)
    expect(hasherCheck(owasp, measured(30, 25, 500, 24, 26))).toMatchObject({
      status: 'ok',
      detail: 'argon2id m=19456 KiB, t=2, p=1: 26 ms a verification on this machine (median of 5).',
      ms: 26,
    })
    expect(hasherCheck(owasp, measured(SLOW_HASH_MS + 1, 200, 300))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /200 ms a verification.*over 100 ms: every cache miss waits.*about 5 tokens/,
      ),
    })
    expect(hasherCheck(argon2(1024, 1), measured(1, 1, 1))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/below OWASP's minimum/),
    })
    expect(hasherCheck({ algorithm: 'sha256' }, measured(0.01))).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^sha256: .*no memory-hard defence/),
    })
    expect(hasherCheck(undefined, measured(150)).status).toBe('warn')
    expect(hasherCheck(owasp, { ok: false, error: 'out of memory' }).status).toBe('fail')
    expect(hasherCheck(owasp, null).status).toBe('skipped')
  })

  it('the report is ok unless a check failed', () => {
    const warn = hasherCheck(argon2(1024, 1), measured(1))
    expect(doctorReport([warn, sharedCacheCheck(null)]).ok).toBe(true)
    expect(doctorReport([warn, storeCheck({ ok: false, error: 'x' }, 3000)]).ok).toBe(false)
  })
})
