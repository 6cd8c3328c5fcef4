import { describe, expect, it } from 'vitest'
import {
  FRAMEWORKS,
  partnerOf,
  runsSolo,
  selected,
  serviceNeeded,
  sideBySideWith,
  VARIANTS,
  type Variant,
  variantIn,
} from './variants.js'

function variant(id: string): Variant {
  const found = VARIANTS.find((v) => v.id === id)
  if (found === undefined) throw new Error(`no variant ${id}`)
  return found
}

describe('the variant table', () => {
  it('has unique ids and, per framework, one reference and one floor', () => {
    expect(new Set(VARIANTS.map((v) => v.id)).size).toBe(VARIANTS.length)
    for (const framework of FRAMEWORKS) {
      const own = VARIANTS.filter((v) => v.framework === framework)
      expect(own.filter((v) => v.role === 'reference')).toHaveLength(1)
      expect(own.filter((v) => v.role === 'floor')).toHaveLength(1)
    }
  })

  it('takes the trivial middleware as Hono’s reference and the bare route as the others’', () => {
    expect(variantIn(VARIANTS, 'hono', 'reference')?.guard).toEqual({ kind: 'trivial' })
    expect(variantIn(VARIANTS, 'express', 'reference')?.guard).toEqual({ kind: 'none' })
    expect(variantIn(VARIANTS, 'koa', 'reference')?.guard).toEqual({ kind: 'none' })
  })

  it('runs every cache hit beside the floor and every store in every framework', () => {
    const hits = VARIANTS.filter((v) => v.role === 'keyward-hit')
    expect(hits).toHaveLength(FRAMEWORKS.length * 3)
    for (const hit of hits) {
      expect(sideBySideWith(hit)).toBe('floor')
      expect(hit.guard).toMatchObject({ kind: 'keyward', cache: true })
    }
  })

  it('runs solo only the servers that work off the main thread, and the references', () => {
    const solo = VARIANTS.filter((v) => sideBySideWith(v) === null).map((v) => v.role)
    expect(new Set(solo)).toEqual(new Set(['reference', 'keyward-miss', 'peer']))
    const miss = VARIANTS.find((v) => v.id === 'koa-keyward-miss')
    expect(miss?.guard).toMatchObject({ kind: 'keyward', cache: false })
  })

  it('names the service a variant needs', () => {
    const need = (id: string) => serviceNeeded(variant(id))
    expect(need('express-keyward-postgres')).toBe('postgres')
    expect(need('express-keyward-redis')).toBe('redis')
    expect(need('express-keyward-sqlite')).toBeNull()
    expect(need('hono-better-auth')).toBeNull()
  })

  it('selects by variant id or framework name, and all with an empty list', () => {
    expect(selected(VARIANTS, [])).toHaveLength(VARIANTS.length)
    expect(selected(VARIANTS, ['koa']).every((v) => v.framework === 'koa')).toBe(true)
    expect(selected(VARIANTS, ['koa', 'hono-bare']).map((v) => v.id)).toContain('hono-bare')
  })

  it('has, per framework, one observed cache hit on SQLite, run beside the same hit unobserved and never solo', () => {
    const observed = VARIANTS.filter((v) => v.role === 'keyward-observed')
    expect(observed.map((v) => v.framework)).toEqual([...FRAMEWORKS])
    for (const framework of FRAMEWORKS) {
      const own = variant(`${framework}-keyward-observed`)
      expect(own.guard).toEqual({
        kind: 'keyward',
        store: 'sqlite',
        redis: false,
        cache: true,
        observed: true,
      })
      expect(own.credential).toBe('sqlite-token')
      expect(sideBySideWith(own)).toBe('plain')
      expect(partnerOf(VARIANTS, own)?.id).toBe(`${framework}-keyward-sqlite`)
      expect(runsSolo(own)).toBe(false)
    }
    const others = VARIANTS.filter((v) => v.role !== 'keyward-observed')
    expect(others.every(runsSolo)).toBe(true)
    expect(others.some((v) => v.guard.kind === 'keyward' && v.guard.observed)).toBe(false)
  })

  it('pairs a cache hit with its floor and the floor with its reference, and nothing without its partner', () => {
    expect(partnerOf(VARIANTS, variant('koa-keyward-postgres'))?.id).toBe('koa-sha256-lru')
    expect(partnerOf(VARIANTS, variant('hono-sha256-lru'))?.id).toBe('hono-trivial')
    expect(partnerOf(VARIANTS, variant('express-keyward-miss'))).toBeUndefined()
    const withoutPlain = selected(VARIANTS, ['hono-keyward-observed', 'hono-keyward-redis'])
    expect(partnerOf(withoutPlain, variant('hono-keyward-observed'))).toBeUndefined()
  })
})
