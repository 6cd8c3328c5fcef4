import { scopes } from '@keyward/example-demo-login'

// Registered in the app, once: requireScope() now takes only these names, and a typo is a compile error.
declare module '@keyward/core' {
  interface Register {
    scopes: typeof scopes
  }
}

export { scopes }
