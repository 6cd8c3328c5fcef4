import { overLoopbackServer, settingsPageConformance } from '@keyward/test-kit'
import Koa from 'koa'
import { tokenRoutes } from './token-routes.js'

settingsPageConformance({
  name: 'koa',
  app(keyward, options) {
    const app = new Koa()
    app.use(tokenRoutes({ keyward, prefix: '/settings', ...options }))
    app.use((ctx) => {
      if (ctx.path === '/settings') ctx.body = 'the app’s own page'
    })
    return overLoopbackServer(app.callback())
  },
})
