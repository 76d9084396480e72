// What went wrong, in the reader's language: every error the server answers carries a stable
// code, translated here (error-messages.json, merged into i18n.js); a call that never reached
// the server says so; the page's own checks throw a Notice whose words are already
// translated. Nothing English from the server is ever shown. `failure()` is the card a tab
// shows when it could not load, with a button to try again.
import { ApiError } from './api.js'
import { DICTIONARIES, currentLanguage, has, t } from './i18n.js'
import { h, fill } from './dom.js'

// A message the page wrote itself, already in the reader's language.
export class Notice extends Error {}

export function explain (error) {
  if (error instanceof Notice) return error.message
  if (error instanceof ApiError) {
    if (error.code && has(`error.${error.code}`)) return t(`error.${error.code}`)
    if (error.status === 0) return t('error.network')
    return t('error.status', { status: error.status })
  }
  console.error(error)
  return t('error.unexpected')
}

// The translation of a server code, in `lang` (default: the page's), or null. Tests ask it
// for every code of the server's registry, in French and in English.
export function errorText (code, lang = currentLanguage()) {
  return has(`error.${code}`, lang) ? DICTIONARIES[lang][`error.${code}`] : null
}

// Fill `slot` with what failed and a way to try again; `retry` runs when asked.
export function failure (slot, error, retry) {
  const signIn = error instanceof ApiError && error.status === 401
  return fill(slot, h('div', { class: 'card load-failed', role: 'alert' },
    h('p', {}, h('strong', {}, t('load.failed')), ' ', explain(error)),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'primary retry', onclick: () => { fill(slot); retry() } }, t('load.retry')),
      signIn ? h('a', { href: '/', class: 'sign-in-again' }, t('auth.again')) : null)))
}
