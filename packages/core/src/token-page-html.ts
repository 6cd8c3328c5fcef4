/**
 * The settings page's markup: no inline script or style (a strict Content-Security-Policy holds),
 * native controls with labels, and live regions for what the script announces.
 */

export type PageLinks = {
  /** Where the page's assets are, e.g. `/settings/assets/` (escaped for an attribute). */
  readonly assets: string
  /** The app's own stylesheet after the page's, for its custom properties (escaped), or null. */
  readonly stylesheet: string | null
  readonly title: string
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string)
}

export function pageHtml(links: PageLinks): string {
  const theme = links.stylesheet === null ? '' : `\n<link rel="stylesheet" href="${links.stylesheet}">`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${links.title}</title>
<link rel="stylesheet" href="${links.assets}page.css">${theme}
<script type="module" src="${links.assets}page.js"></script>
</head>
<body>
<main>
<h1>${links.title}</h1>
<p class="lede">Tokens let scripts and tools use the API as you. Treat them like passwords.</p>
<div id="message" class="message" role="status" aria-live="polite"></div>
<div id="alert" class="message error" role="alert"></div>

<section id="new-token" class="new-token" hidden aria-labelledby="new-token-title">
<h2 id="new-token-title">Your new token</h2>
<p class="warning">Copy your token now. You will not be able to see it again.</p>
<code id="new-token-value" class="token-value"></code>
<div class="actions">
<button type="button" id="copy" class="primary">Copy</button>
<button type="button" id="dismiss">Done, hide it</button>
</div>
</section>

<section aria-labelledby="create-title">
<h2 id="create-title">Generate a new token</h2>
<form id="create-form" novalidate>
<label for="token-name">Name</label>
<input type="text" id="token-name" name="name" required maxlength="255" autocomplete="off" aria-describedby="name-hint">
<p id="name-hint" class="hint">What is this token for? For example: "CI deploys".</p>
<label for="token-expiry">Expiration</label>
<select id="token-expiry" name="expiresIn"></select>
<fieldset>
<legend>Scopes</legend>
<p id="scopes-hint" class="hint">A token can do only what its scopes allow.</p>
<div id="scope-list"></div>
</fieldset>
<button type="submit" id="create" class="primary">Generate token</button>
</form>
</section>

<section aria-labelledby="list-title">
<h2 id="list-title" tabindex="-1">Your tokens</h2>
<div class="toolbar">
<label for="status-filter">Show</label>
<select id="status-filter">
<option value="">All tokens</option>
<option value="active">Active</option>
<option value="expired">Expired</option>
<option value="revoked">Revoked</option>
</select>
</div>
<table id="token-table">
<caption class="hint" id="token-count"></caption>
<thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody id="token-rows"></tbody>
</table>
<button type="button" id="more" hidden>Show more</button>
</section>

<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title"></h2>
<p id="confirm-text"></p>
<div class="actions">
<button type="button" id="confirm-yes" class="danger"></button>
<button type="button" id="confirm-no">Cancel</button>
</div>
</dialog>
</main>
</body>
</html>
`
}
