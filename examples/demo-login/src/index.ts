export { scopes } from './scopes.js'
export { cookieSessions, credentialsOf, DEMO_USERS, loginPage } from './sessions.js'
