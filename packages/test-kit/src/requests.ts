import { createServer, request as httpRequest, type RequestListener } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import type { App, Reply, RequestOptions } from './harness.js'

/** A raw HTTP/1.1 exchange on loopback: for what fetch cannot send (duplicate header lines). */
export function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
    })
    socket.on('end', () => resolve(data))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    socket.write(head.replace(/\n/g, '\r\n'))
  })
}

/** One request to a server on 127.0.0.1, from the loopback address `options.from` if given. */
export function loopbackRequest(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  options: RequestOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => {
          const replyHeaders = new Headers()
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? '']) replyHeaders.append(name, one)
          }
          resolve({ status: response.statusCode ?? 0, headers: replyHeaders, body })
        })
        response.on('error', reject)
      },
    )
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}

/** For Express and Koa: requests over one loopback server, started on first use. */
export function overLoopback(listen: App['listen']): App {
  let server: Promise<{ port: number; close(): Promise<void> }> | null = null
  return {
    listen,
    async request(path, headers = {}, options = {}) {
      server ??= listen()
      return loopbackRequest((await server).port, path, headers, options)
    },
    async close() {
      await (await server)?.close()
    },
  }
}

/** For Express and Koa: an app's request handler served on 127.0.0.1, started on first request. */
export function overLoopbackServer(handler: RequestListener): App {
  return overLoopback(
    () =>
      new Promise((resolve) => {
        const server = createServer(handler).listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo
          resolve({ port, close: () => new Promise((done) => server.close(() => done())) })
        })
      }),
  )
}
