/**
 * The settings page's script, served as a module from the same origin (no inline script). It talks
 * to the routes beside it with same-origin JSON requests and keeps a new token only in one element's
 * text until the user hides it: never in a URL, an attribute or web storage.
 */
export const PAGE_SCRIPT = String.raw`const api = new URL('..', import.meta.url)
const byId = (id) => document.getElementById(id)
const MESSAGES = {
  unauthenticated: 'You are not signed in. Sign in to the app, then reload this page.',
  pat_not_allowed: 'A personal access token cannot manage tokens. Sign in to the app instead.',
  cross_site_request: 'The request was refused because it did not come from this site.',
  reauthentication_required: 'For your security, sign in again before you create or regenerate a token.',
  not_found: 'That token no longer exists.',
  too_many_tokens: 'You have reached the maximum number of tokens. Revoke one you no longer use first.',
  token_not_active: 'That token is no longer active, so it cannot be regenerated.',
  payload_too_large: 'What you entered is too long.',
  unsupported_media_type: 'The request was refused: it was not sent as JSON.',
  unavailable: 'Token management is unavailable right now. Try again in a moment.',
}
const UNITS = { d: ['day', 'days'], h: ['hour', 'hours'], m: ['minute', 'minutes'], s: ['second', 'seconds'] }
const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
let nextCursor = null
let confirmed = null

function say(text) {
  byId('alert').textContent = ''
  byId('message').textContent = text
}

function fail(error) {
  byId('message').textContent = ''
  byId('alert').textContent = error instanceof Error ? error.message : String(error)
}

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } }
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let response
  try {
    response = await fetch(new URL(path, api), init)
  } catch {
    throw new Error('The server could not be reached. Check your connection and try again.')
  }
  const data = await response.json().catch(() => null)
  if (response.ok) return data
  const error = data && data.error ? data.error : {}
  throw new Error(MESSAGES[error.code] || error.message || 'Something went wrong (HTTP ' + response.status + ').')
}

function durationLabel(duration) {
  const match = /^(\d+)([dhms])$/.exec(duration)
  if (!match) return duration
  const count = Number(match[1])
  return count + ' ' + UNITS[match[2]][count === 1 ? 0 : 1]
}

function dateCell(iso, otherwise) {
  if (!iso) return document.createTextNode(otherwise)
  const time = document.createElement('time')
  time.dateTime = iso
  time.textContent = dateFormat.format(new Date(iso))
  return time
}

function addCell(row, content) {
  const cell = document.createElement('td')
  cell.append(content)
  row.append(cell)
  return cell
}

function actionButton(label, name, className, onClick) {
  const button = document.createElement('button')
  button.type = 'button'
  button.textContent = label
  button.className = className
  button.setAttribute('aria-label', label + ' token ' + name)
  button.addEventListener('click', onClick)
  return button
}

function confirmThen(title, text, yes, action) {
  confirmed = action
  byId('confirm-title').textContent = title
  byId('confirm-text').textContent = text
  byId('confirm-yes').textContent = yes
  byId('confirm').showModal()
}

function showToken(token, message) {
  byId('new-token-value').textContent = token
  byId('new-token').hidden = false
  say(message)
  byId('copy').focus()
}

function hideToken() {
  byId('new-token-value').textContent = ''
  byId('new-token').hidden = true
}

function tokenRow(token) {
  const row = document.createElement('tr')
  const name = document.createElement('th')
  name.scope = 'row'
  name.textContent = token.name
  row.append(name)
  const prefix = document.createElement('code')
  prefix.textContent = token.prefix
  addCell(row, prefix)
  addCell(row, token.scopes.length > 0 ? token.scopes.join(', ') : 'none')
  addCell(row, dateCell(token.createdAt, ''))
  addCell(row, dateCell(token.lastUsedAt, 'Never'))
  addCell(row, dateCell(token.expiresAt, 'Never'))
  const status = document.createElement('span')
  status.className = 'status status-' + token.status
  status.textContent = token.status
  addCell(row, status)
  const actions = addCell(row, '')
  if (token.status === 'active') {
    const box = document.createElement('div')
    box.className = 'actions'
    box.append(
      actionButton('Regenerate', token.name, '', () =>
        confirmThen('Regenerate "' + token.name + '"?', 'A new token replaces this one; anything using the old one stops working.', 'Regenerate', () => regenerate(token)),
      ),
      actionButton('Revoke', token.name, 'danger', () =>
        confirmThen('Revoke "' + token.name + '"?', 'Anything using this token stops working at once. This cannot be undone.', 'Revoke', () => revoke(token)),
      ),
    )
    actions.append(box)
  }
  return row
}

async function loadTokens(more) {
  const query = new URLSearchParams()
  const status = byId('status-filter').value
  if (status) query.set('status', status)
  if (more && nextCursor) query.set('cursor', nextCursor)
  const page = await call('GET', 'tokens?' + query)
  const rows = byId('token-rows')
  if (!more) rows.textContent = ''
  for (const token of page.tokens) rows.append(tokenRow(token))
  nextCursor = page.nextCursor
  byId('more').hidden = nextCursor === null
  const count = rows.rows.length
  byId('token-count').textContent = count === 0 ? 'No tokens to show.' : count + (count === 1 ? ' token' : ' tokens') + (nextCursor ? ' shown so far' : '')
}

async function loadScopes() {
  const offer = await call('GET', 'scopes')
  const expiry = byId('token-expiry')
  expiry.textContent = ''
  for (const choice of offer.lifetime.choices) {
    const isDefault = choice === offer.lifetime.defaultExpiresIn
    expiry.append(new Option(durationLabel(choice) + (isDefault ? ' (default)' : ''), choice, isDefault, isDefault))
  }
  if (offer.lifetime.allowNeverExpiring) {
    const isDefault = offer.lifetime.defaultExpiresIn === null
    expiry.append(new Option('No expiration', 'never', isDefault, isDefault))
  }
  const list = byId('scope-list')
  list.textContent = ''
  if (offer.scopes.length === 0) list.textContent = 'This app offers no scopes: a token will have none.'
  offer.scopes.forEach((scope, index) => {
    const line = document.createElement('div')
    line.className = 'scope'
    const box = document.createElement('input')
    box.type = 'checkbox'
    box.id = 'scope-' + index
    box.value = scope.name
    const label = document.createElement('label')
    label.htmlFor = box.id
    label.textContent = scope.name
    line.append(box, label)
    if (scope.description) {
      const description = document.createElement('span')
      description.id = 'scope-' + index + '-description'
      description.textContent = scope.description
      box.setAttribute('aria-describedby', description.id)
      line.append(description)
    }
    list.append(line)
  })
}

async function create(event) {
  event.preventDefault()
  const form = byId('create-form')
  const name = byId('token-name').value.trim()
  if (!name) {
    fail('Give the token a name.')
    byId('token-name').focus()
    return
  }
  const expiry = byId('token-expiry').value
  const scopes = Array.from(form.querySelectorAll('#scope-list input:checked'), (box) => box.value)
  byId('create').disabled = true
  try {
    const body = { name, scopes }
    if (expiry) body.expiresIn = expiry === 'never' ? null : expiry
    const created = await call('POST', 'tokens', body)
    form.reset()
    showToken(created.token, 'Token "' + created.record.name + '" created. Copy it now.')
    await loadTokens(false)
  } catch (error) {
    fail(error)
  } finally {
    byId('create').disabled = false
  }
}

async function regenerate(token) {
  try {
    const rotated = await call('POST', 'tokens/' + encodeURIComponent(token.id) + '/rotate', {})
    showToken(rotated.token, 'Token "' + token.name + '" regenerated. Copy the new token now.')
    await loadTokens(false)
  } catch (error) {
    fail(error)
  }
}

async function revoke(token) {
  try {
    await call('DELETE', 'tokens/' + encodeURIComponent(token.id))
    say('Token "' + token.name + '" revoked.')
    await loadTokens(false)
    byId('list-title').focus()
  } catch (error) {
    fail(error)
  }
}

byId('create-form').addEventListener('submit', create)
byId('copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(byId('new-token-value').textContent)
    say('Copied to the clipboard.')
  } catch {
    fail('Copying failed: select the token and copy it by hand.')
  }
})
byId('dismiss').addEventListener('click', () => {
  hideToken()
  say('The token is hidden. It cannot be shown again.')
  byId('token-name').focus()
})
byId('status-filter').addEventListener('change', () => loadTokens(false).catch(fail))
byId('more').addEventListener('click', () => loadTokens(true).catch(fail))
byId('confirm-yes').addEventListener('click', () => {
  const action = confirmed
  confirmed = null
  byId('confirm').close()
  if (action) action()
})
byId('confirm-no').addEventListener('click', () => byId('confirm').close())
window.addEventListener('pagehide', hideToken)
Promise.all([loadScopes(), loadTokens(false)]).catch(fail)
`
