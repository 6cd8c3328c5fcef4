/**
 * The settings page's stylesheet. Every colour, radius and font is a custom property on `:root`,
 * so an app themes the page from its own stylesheet (`page: { stylesheet }`) without forking it.
 */
export const PAGE_STYLE = `:root {
  --kw-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --kw-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  --kw-bg: #ffffff;
  --kw-fg: #1f2328;
  --kw-muted: #59636e;
  --kw-surface: #f6f8fa;
  --kw-border: #d1d9e0;
  --kw-accent: #1f6f3f;
  --kw-accent-fg: #ffffff;
  --kw-danger: #b3261e;
  --kw-danger-fg: #ffffff;
  --kw-warning-bg: #fff8c5;
  --kw-warning-fg: #5c4400;
  --kw-focus: #0969da;
  --kw-radius: 6px;
  --kw-max-width: 64rem;
}
@media (prefers-color-scheme: dark) {
  :root {
    --kw-bg: #0d1117;
    --kw-fg: #e6edf3;
    --kw-muted: #9da7b3;
    --kw-surface: #161b22;
    --kw-border: #3d444d;
    --kw-accent: #2ea043;
    --kw-accent-fg: #0d1117;
    --kw-danger: #f85149;
    --kw-danger-fg: #0d1117;
    --kw-warning-bg: #3b2e00;
    --kw-warning-fg: #f2cc60;
    --kw-focus: #4493f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--kw-bg); color: var(--kw-fg); font: 15px/1.5 var(--kw-font); }
main { max-width: var(--kw-max-width); margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
section { border: 1px solid var(--kw-border); border-radius: var(--kw-radius); padding: 1rem; margin: 1rem 0; }
.lede, .hint { color: var(--kw-muted); margin-top: 0; }
label, legend { font-weight: 600; display: block; margin: .75rem 0 .25rem; }
input[type="text"], select {
  font: inherit; color: var(--kw-fg); background: var(--kw-bg); border: 1px solid var(--kw-border);
  border-radius: var(--kw-radius); padding: .35rem .5rem; min-width: 16rem; max-width: 100%;
}
fieldset { border: 0; padding: 0; margin: .5rem 0 1rem; }
.scope { display: flex; gap: .5rem; align-items: baseline; margin: .35rem 0; }
.scope label { display: inline; margin: 0; font-family: var(--kw-mono); font-weight: 600; }
.scope span { color: var(--kw-muted); }
button {
  font: inherit; cursor: pointer; border-radius: var(--kw-radius); padding: .35rem .85rem;
  border: 1px solid var(--kw-border); background: var(--kw-surface); color: var(--kw-fg);
}
button.primary { background: var(--kw-accent); border-color: var(--kw-accent); color: var(--kw-accent-fg); }
button.danger { background: var(--kw-danger); border-color: var(--kw-danger); color: var(--kw-danger-fg); }
button:disabled { opacity: .6; cursor: not-allowed; }
:focus-visible { outline: 2px solid var(--kw-focus); outline-offset: 2px; }
.message:empty { display: none; }
.message { padding: .5rem .75rem; border-radius: var(--kw-radius); background: var(--kw-surface); border: 1px solid var(--kw-border); }
.message.error { border-color: var(--kw-danger); }
.new-token { background: var(--kw-surface); }
.warning { background: var(--kw-warning-bg); color: var(--kw-warning-fg); padding: .5rem .75rem; border-radius: var(--kw-radius); }
.token-value {
  display: block; font-family: var(--kw-mono); word-break: break-all; padding: .5rem .75rem; margin: .5rem 0;
  background: var(--kw-bg); border: 1px solid var(--kw-border); border-radius: var(--kw-radius);
}
.actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.toolbar { display: flex; gap: .75rem; align-items: center; }
.toolbar label { margin: 0; }
table { width: 100%; border-collapse: collapse; margin-top: .75rem; }
th, td { text-align: left; padding: .45rem .5rem; border-bottom: 1px solid var(--kw-border); vertical-align: top; }
thead th { color: var(--kw-muted); font-size: .85rem; }
td code { font-family: var(--kw-mono); }
.status { font-size: .8rem; font-weight: 600; padding: .1rem .5rem; border-radius: 999px; border: 1px solid currentColor; }
.status-active { color: var(--kw-accent); }
.status-revoked { color: var(--kw-danger); }
.status-expired { color: var(--kw-muted); }
dialog { border: 1px solid var(--kw-border); border-radius: var(--kw-radius); background: var(--kw-bg); color: var(--kw-fg); max-width: 28rem; }
dialog::backdrop { background: rgb(0 0 0 / .4); }
[hidden] { display: none !important; }
`
