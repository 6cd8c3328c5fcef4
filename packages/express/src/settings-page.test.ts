import { overLoopbackServer, settingsPageConformance } from '@keyward/test-kit'
import express from 'express'
import { tokenRoutes } from './token-routes.js'

settingsPageConformance({
  name: 'express',
  app(keyward, options) {
    const app = express()
    app.use('/settings', tokenRoutes({ keyward, ...options }))
    app.get('/settings', (_req, res) => {
      res.send('the app’s own page')
    })
    return overLoopbackServer(app)
  },
})
