import { defineScopes } from '@keyward/core'

/** What a notes token may carry, each with the words the token settings page shows beside it. */
export const scopes = defineScopes({
  'notes:read': 'Read your notes',
  'notes:write': 'Write new notes',
})
