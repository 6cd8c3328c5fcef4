import type { Clock } from './clock.js'
import { digestEquals, wireDigest } from './digests.js'
import { describeStoreError } from './errors.js'
import type { KeywardStats, Logger } from './keyward-types.js'
import type { SharedCache, SharedTokenEntry } from './shared-cache.js'
import { type DeploymentKey, trustedSharedCache } from './shared-trust.js'

/** A token's shared entry as a miss sees it, and the generation a later fill must present. */
export type SharedRead = { entry: SharedTokenEntry | null; generation: string }

/**
 * The shared level (Redis) with its health. It is an optimisation: when it fails, warn once,
 * count, and carry on without it. Everything read from it is authenticated under the deployment key.
 */
export class SharedLevel {
  readonly stats: KeywardStats['sharedCache'] = {
    hits: 0,
    misses: 0,
    writes: 0,
    errors: 0,
    down: false,
    forged: 0,
  }
  #cache: SharedCache | null = null
  #raw: SharedCache | null = null
  readonly #context: { deploymentKey: DeploymentKey; clock: Clock; logger: Logger }

  constructor(context: { deploymentKey: DeploymentKey; clock: Clock; logger: Logger }) {
    this.#context = context
  }

  /** The trusted (authenticated) shared cache; null without one. */
  get cache(): SharedCache | null {
    return this.#cache
  }

  /** The shared cache as configured, without the checks: for probing Redis itself (`kw.doctor()`). */
  get raw(): SharedCache | null {
    return this.#raw
  }

  /** Puts `raw` behind the deployment key's checks and uses it from now on. */
  attach(raw: SharedCache): SharedCache {
    this.#raw = raw
    const { deploymentKey, clock } = this.#context
    this.#cache = trustedSharedCache(raw, deploymentKey, clock, () => {
      this.stats.forged++
    })
    return this.#cache
  }

  readonly failed = (error: unknown): void => {
    this.stats.errors++
    if (!this.stats.down)
      this.#context.logger.warn(
        `shared cache unavailable, carrying on without it: ${describeStoreError(error)}`,
      )
    this.stats.down = true
  }

  readonly worked = (): void => {
    if (this.stats.down) this.#context.logger.warn('shared cache reachable again')
    this.stats.down = false
  }

  /**
   * The token's shared entry, if it holds this digest and is still valid (else `entry` is null), and
   * the generation a later fill must present; null without a shared level or when it failed.
   */
  async readToken(id: string, digest: string): Promise<SharedRead | null> {
    const cache = this.#cache
    if (cache === null) return null
    const { deploymentKey, clock } = this.#context
    // The key comes first (the shared cache's own at once, else with the store); without it the
    // shared level is not consulted.
    if (deploymentKey.current === null && !(await deploymentKey.load().then(Boolean, () => false)))
      return null
    try {
      const { entry, generation } = await cache.readToken(id)
      this.worked()
      const now = clock.now()
      const valid =
        entry !== null &&
        digestEquals(entry.digest, wireDigest(digest)) &&
        now < entry.validUntil &&
        (entry.expiresAt === null || now < entry.expiresAt)
      return { entry: valid ? entry : null, generation }
    } catch (error) {
      this.failed(error)
      return null
    }
  }
}
