// The change note [note d'évolution]: what changed between two versions (or what a proposal
// would change), written by the server for a reader, in the page's language. Shown beside a
// proposal's diff in the committee panel and on each version in the history: a member on a
// phone reads a page, not a diff. The server writes Markdown; it is rendered like the
// preview, sanitised.
import { h, fill } from './dom.js'
import { t, currentLanguage } from './i18n.js'
import { renderInto } from './markdown.js'
import { explain } from './errors.js'

function zone () {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch (_) {
    return 'UTC'
  }
}

// `path` is the note's address without its query: .../versions/N/changes/M or
// .../proposals/ID/changes. `open`: load and show at once, else when the reader opens it.
export function changeNote (api, path, { open = false, summary = t('changes.title') } = {}) {
  const body = h('div', { class: 'change-note markdown-body', 'aria-live': 'polite' })
  let loaded = false
  const load = () => {
    if (loaded) return
    loaded = true
    fill(body, h('p', { class: 'muted' }, t('changes.loading')))
    const query = `?lang=${currentLanguage()}&tz=${encodeURIComponent(zone())}`
    api.get(path + query).then((answer) => {
      return renderInto(body, answer.text.replace(/^# .*\n+/, ''))
    }).catch((error) => {
      loaded = false
      fill(body, h('p', { class: 'muted' }, error.status === 404 ? t('changes.none') : explain(error)))
    })
  }
  const details = h('details', { class: 'change-note-box', open, ontoggle: () => { if (details.open) load() } },
    h('summary', {}, summary), body)
  if (open) load()
  return details
}
