// The unmissable half of "never a silent loss". The header's status says at every moment what
// the server has acknowledged (status.js); this module owns the case where that is not enough:
// changes typed here have waited longer than WARN_AFTER_MS for the server's acknowledgement
// while the browser believes it is online (`navigator.onLine`): a silent dead link, a server
// that does not store. Then a modal dialog blocks the page and says so, in words, with what to
// do: keep the tab open (the changes are kept in this browser and sent as soon as the server
// answers), try to reconnect now, or download a copy of the text. It closes by itself once
// everything is acknowledged; dismissed, it comes back after another WARN_AFTER_MS if the
// changes still wait. When the browser knows it is offline the header says so and the
// dialog stays away: nothing is silent then. Closing the tab asks first (main.js).
//
// WARN_AFTER_MS is a minute: y-websocket needs 30 s to notice a silent link, then reconnects,
// so a short cut never raises it, and a minute of typing into a dead link always does.
// `localStorage['palabre.warnAfterSeconds']` shortens it (tests).
import { h, fill } from './dom.js'
import { t } from './i18n.js'

export const WARN_AFTER_MS = 60000
const CHECK_EVERY_MS = 1000

export function warnAfter (storage) {
  const seconds = Number(storage.getItem('palabre.warnAfterSeconds'))
  return seconds > 0 ? seconds * 1000 : WARN_AFTER_MS
}

export class UnsavedWarning {
  constructor ({ live, title, delay = WARN_AFTER_MS, online = () => navigator.onLine }) {
    Object.assign(this, { live, title, delay, online })
    this.snoozed = 0 // not shown again before this time (ms)
    this.message = h('p', { id: 'unsaved-body' })
    this.dialog = h('dialog', {
      class: 'unsaved-warning',
      'aria-labelledby': 'unsaved-title',
      'aria-describedby': 'unsaved-body',
      oncancel: (event) => { event.preventDefault(); this.dismiss() } // Escape
    })
    live.tracker.onChange(() => this.check())
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS)
    document.addEventListener('visibilitychange', () => this.check())
  }

  get shown () { return this.dialog.open }

  check (now = Date.now()) {
    const oldest = this.live.tracker.oldestUnsaved
    if (oldest === null) {
      this.snoozed = 0
      if (this.shown) this.dialog.close()
      return
    }
    const due = now - oldest >= this.delay && now >= this.snoozed && this.online()
    if (due && !this.shown && this.dialog.isConnected) {
      this.render(now)
      this.dialog.showModal()
    } else if (this.shown) this.describe(now)
  }

  describe (now) {
    const waited = Math.max(0, now - this.live.tracker.oldestUnsaved)
    const since = waited < 60000
      ? t('unsaved.seconds', { n: Math.floor(waited / 1000) })
      : t('unsaved.minutes', { n: Math.floor(waited / 60000) })
    this.message.textContent = t('unsaved.body', { n: this.live.unsaved, since })
  }

  render (now) {
    this.describe(now)
    fill(this.dialog,
      h('h2', { id: 'unsaved-title' }, t('unsaved.title')),
      this.message,
      h('p', {}, t('unsaved.keep')),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary unsaved-continue', onclick: () => this.dismiss() }, t('unsaved.continue')),
        h('button', { type: 'button', class: 'unsaved-retry', onclick: () => this.live.reconnect() }, t('unsaved.retry')),
        h('button', { type: 'button', class: 'unsaved-copy', onclick: () => this.download() }, t('unsaved.download'))))
  }

  dismiss () {
    this.snoozed = Date.now() + this.delay
    this.dialog.close()
  }

  // The text as this browser has it, unsaved changes included, as a Markdown file.
  download () {
    const blob = new Blob([this.live.text.toString()], { type: 'text/markdown;charset=utf-8' })
    const url = URL.createObjectURL(blob)
    const stamp = new Date().toISOString().slice(0, 16).replace(':', 'h')
    const link = h('a', { href: url, download: `${this.title}_${stamp}.md` })
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 60000)
  }
}
