export const TIMEOUT = 'KeywardTimeout'

/** A store (or a verifier) that hangs (a blackholed connection) must not hang the request: past `ms` it is an outage. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return work
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${ms} ms`)
      error.name = TIMEOUT
      reject(error)
    }, ms)
  })
  work.catch(() => {})
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
