import { getRequestListener } from '@hono/node-server'
import { overLoopbackServer, settingsPageConformance } from '@keyward/test-kit'
import { Hono } from 'hono'
import { tokenRoutes } from './token-routes.js'

settingsPageConformance({
  name: 'hono',
  app(keyward, options) {
    const app = new Hono()
    app.route('/settings', tokenRoutes({ keyward, ...options }))
    app.get('/settings', (c) => c.text('the app’s own page'))
    return overLoopbackServer(getRequestListener(app.fetch))
  },
})
