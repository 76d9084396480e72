// Suggestions: the member's suggesting mode, their draft kept in step with the server, every
// open suggestion drawn inline in the text and listed beside it as a card (author,
// organisation, reason, replies, accept / reject / withdraw), kept current by the live channel.
//
// The draft's passage is held as Yjs relative positions, so it follows others' typing. It is
// sent to the server a moment after the member stops typing (made, then revised), one request
// at a time; a draft that no longer changes anything is withdrawn.
//
// Making and revising a suggestion, replying, accepting, rejecting and withdrawing are sent
// with `api.sure()` (api.js): on a weak link each is tried again under the same idempotency
// key until the server answers, so a suggestion or a reply is made once and nothing is
// decided twice. Meanwhile the card says the request is on its way and its buttons wait.
import * as Y from 'yjs'
import { h, fill } from './dom.js'
import { t, formatTime } from './i18n.js'
import { documentPath } from './api.js'
import { decodePosition, encodePosition, placeRange } from './positions.js'
import { sectionAt } from './outline.js'
import { Drafts } from './drafts.js'
import { explain, Notice } from './errors.js'
import { applyEdit, isEmpty } from './suggestion_draft.js'
import { setSuggestionMarks, suggestionMarks } from './suggesting.js'

const SYNC_DELAY_MS = 800
const SUGGESTERS = ['coordinator', 'editor', 'commenter']
const EDITORS = ['coordinator', 'editor']

export class SuggestionsPanel {
  constructor ({ api, documentId, live, editor, me, colours, container, onCount }) {
    Object.assign(this, { api, documentId, live, editor, me, colours, container, onCount })
    this.items = new Map() // id -> the server's answer
    this.draft = null // { id, start, end, replacement, reason, version, sent, timer }
    this.chosen = false // suggesting mode, as the member toggled it
    this.queue = Promise.resolve()
    this.sending = new Map() // suggestion id -> { retries }: a reply or decision on its way
    this.failed = new Map() // suggestion id -> why the last one failed
    this.rejecting = new Set() // suggestion ids whose rejection form is open
    this.list = h('ol', { class: 'suggestion-list' })
    // Not `.error`: an empty alert of this side panel must not stand before another panel's.
    this.error = h('p', { class: 'suggestion-error', role: 'alert' })
    this.toggle = h('button', {
      type: 'button', class: 'suggesting-toggle', onclick: () => this.setChosen(!this.chosen)
    })
    this.drafts = new Drafts(container)
    this.render()
  }

  get canSuggest () { return SUGGESTERS.includes(this.me.role) }
  get forced () { return this.me.role === 'commenter' } // commenters only ever suggest
  get on () { return this.canSuggest && (this.forced || this.chosen) }

  setChosen (value) {
    this.chosen = value
    this.renderToggle()
  }

  canDecide (item) {
    return this.me.role === 'coordinator' ||
      (EDITORS.includes(this.me.role) && item.passage_authors.includes(this.me.id))
  }

  path (rest = '') { return documentPath(this.documentId, `/suggestions${rest}`) }

  async reload () {
    const { suggestions } = await this.api.get(this.path('?status=open'))
    this.items = new Map(suggestions.map((item) => [item.id, item]))
    this.render()
  }

  onEvent (kind, data) {
    if (kind === 'ready') this.reload().catch(() => {})
    else if (kind.startsWith('suggestion.') && data && data.id) this.received(data)
  }

  received (item) {
    if (item.status === 'open') this.items.set(item.id, item)
    else this.items.delete(item.id)
    if (item.status !== 'open') {
      if (this.draft && this.draft.id === item.id) this.draft = null
      this.failed.delete(item.id)
      this.rejecting.delete(item.id)
    }
    this.render()
  }

  // Placing suggestions in the text ---------------------------------------------------------

  // Where a suggestion's passage stands now, and whether it still reads as quoted.
  place (item) {
    const text = this.live.text.toString()
    let range = null
    if (item.anchor) {
      range = placeRange(item.anchor.start, item.anchor.end, this.live.doc, { empty: true })
    } else if (item.quote && text.indexOf(item.quote) >= 0 &&
      text.indexOf(item.quote) === text.lastIndexOf(item.quote)) {
      range = { from: text.indexOf(item.quote), to: text.indexOf(item.quote) + item.quote.length }
    }
    if (!range) return null
    return { ...range, conflict: item.conflict || text.slice(range.from, range.to) !== item.quote }
  }

  // Where a draft's passage stands now (`draft`: the current one by default).
  draftRange (draft = this.draft) {
    return placeRange(draft.start, draft.end, this.live.doc, { empty: true })
  }

  placed () {
    const mine = this.draft && this.draft.id
    const found = []
    for (const item of this.items.values()) {
      if (item.id === mine) continue
      const where = this.place(item)
      if (where) {
        found.push({
          id: item.id, ...where, replacement: item.replacement, colour: this.colours.member(item.author.id).colour
        })
      }
    }
    const range = this.draft && this.draftRange()
    if (range) {
      found.push({
        id: this.draft.id || 'draft', ...range, conflict: this.draftConflicts(range),
        replacement: this.draft.replacement, colour: this.colours.member(this.me.id).colour
      })
    }
    return found
  }

  // The draft as the server has it no longer reads as quoted: someone edited its passage
  // since it was last sent (the member's next keystroke sends it again, with the new words).
  draftConflicts (range) {
    const sent = this.draft.id && this.items.get(this.draft.id)
    if (!sent || this.draft.sent !== this.draft.version) return false
    return this.live.text.toString().slice(range.from, range.to) !== sent.quote
  }

  markSuggestions () {
    const view = this.editor.view
    view.dispatch({ effects: setSuggestionMarks.of(suggestionMarks(this.placed(), view.state.doc.length)) })
  }

  // The text changed (anyone's typing): marks follow at once; a card is drawn again only when
  // its passage started or stopped reading as quoted (accept waits while it does not).
  textChanged () {
    clearTimeout(this.marking)
    this.marking = setTimeout(() => {
      this.markSuggestions()
      if (this.cardStates() !== this.drawnStates) this.renderList()
    }, 100)
  }

  cardStates () {
    return [...this.items.values()].map((item) => {
      const where = this.place(item)
      return `${item.id}:${where ? where.conflict : 'gone'}`
    }).join(' ')
  }

  // Suggesting mode: a keystroke becomes the draft -------------------------------------------

  // Called by the editor's transaction filter; returns where the cursor goes.
  edit (change) {
    const current = this.draft && this.draftRange()
    let draft = current ? { ...current, replacement: this.draft.replacement } : null
    const touching = (d) => d && change.a <= d.to && change.b >= d.from
    if (!touching(draft)) {
      const own = this.ownTouching(change)
      if (own) {
        this.finish()
        this.draft = this.adopt(own.item)
        draft = { from: own.where.from, to: own.where.to, replacement: own.item.replacement }
      }
    }
    const { draft: next, fresh } = applyEdit(draft, change)
    if (fresh) {
      this.finish()
      this.draft = { id: null, reason: '', version: 0, sent: 0, timer: null }
    }
    const text = this.live.text
    this.draft.start = Y.createRelativePositionFromTypeIndex(text, next.from)
    this.draft.end = Y.createRelativePositionFromTypeIndex(text, next.to, -1)
    this.draft.replacement = next.replacement
    this.draft.version += 1
    this.schedule(this.draft)
    queueMicrotask(() => { this.markSuggestions(); this.renderList() })
    return next.to
  }

  // One of the member's own open suggestions whose passage the edit touches: editing it again.
  ownTouching (change) {
    for (const item of this.items.values()) {
      if (item.author.id !== this.me.id || item.amendments_id) continue // the committee's now
      const where = this.place(item)
      if (where && !where.conflict && change.a <= where.to && change.b >= where.from) {
        return { item, where }
      }
    }
    return null
  }

  adopt (item) {
    return {
      id: item.id,
      reason: item.reason,
      version: 0,
      sent: 0,
      timer: null,
      start: decodePosition(item.anchor.start),
      end: decodePosition(item.anchor.end),
      replacement: item.replacement
    }
  }

  // The current draft is done: send what it holds now.
  finish () {
    if (!this.draft) return
    clearTimeout(this.draft.timer)
    this.enqueue(this.draft)
  }

  schedule (draft) {
    clearTimeout(draft.timer)
    draft.timer = setTimeout(() => this.enqueue(draft), SYNC_DELAY_MS)
  }

  enqueue (draft) {
    this.queue = this.queue.then(() => this.push(draft)).catch((error) => {
      this.error.textContent = explain(error)
    })
    return this.queue
  }

  // Send a draft's latest state: made the first time, then revised; withdrawn once empty.
  async push (draft) {
    if (draft.sent === draft.version || !draft.start) return
    const version = draft.version
    const range = this.draftRange(draft)
    if (!range) throw new Notice(t('suggestions.lost'))
    const text = this.live.text.toString()
    const quote = text.slice(range.from, range.to)
    if (isEmpty(draft, quote)) {
      if (draft.id) await this.api.sure(this.path(`/${draft.id}/withdraw`))
      draft.sent = version
      if (this.draft === draft && draft.version === version) this.draft = null
      this.render()
      return
    }
    const body = {
      quote,
      replacement: draft.replacement,
      reason: draft.reason,
      section: sectionAt(text, range.from),
      anchor: {
        start: encodePosition(draft.start),
        end: encodePosition(draft.end)
      }
    }
    const answer = draft.id
      ? await this.api.sure(this.path(`/${draft.id}`), body, { method: 'PATCH' })
      : await this.api.sure(this.path(), body)
    draft.id = answer.id
    draft.sent = version
    this.error.textContent = ''
    this.received(answer)
  }

  // Cards ------------------------------------------------------------------------------------

  // Reply, accept, reject or withdraw: one request per card at a time, until answered.
  // The card keeps what is on its way and what failed: it is drawn again at every event.
  async act (item, action, body) {
    if (this.sending.has(item.id)) return
    const sending = { retries: 0 }
    this.sending.set(item.id, sending)
    this.failed.delete(item.id)
    this.renderList()
    let answer = null
    try {
      answer = await this.api.sure(this.path(`/${item.id}/${action}`), body, {
        onRetry: (n) => { sending.retries = n; this.renderList() }
      })
    } catch (error) {
      this.failed.set(item.id, explain(error))
    }
    this.sending.delete(item.id)
    if (!answer) return this.renderList()
    this.drafts.forget(`suggestion:${item.id}`)
    this.rejecting.delete(item.id)
    this.received(answer)
  }

  async saveReason (item, reason) {
    const draft = this.draft && this.draft.id === item.id ? this.draft : this.adopt(item)
    draft.reason = reason
    draft.version += 1
    await this.enqueue(draft)
  }

  renderChange (item) {
    if (!item.quote) return h('p', { class: 'change' }, t('suggestions.insert'), ' ', h('ins', {}, item.replacement))
    if (!item.replacement) return h('p', { class: 'change' }, t('suggestions.delete'), ' ', h('del', {}, item.quote))
    return h('p', { class: 'change' }, h('del', {}, item.quote), ' → ', h('ins', {}, item.replacement))
  }

  renderCard (item) {
    const where = this.place(item)
    const mine = item.author.id === this.me.id
    const conflict = !where || where.conflict
    const fail = (e) => { this.failed.set(item.id, explain(e)); this.renderList() }
    const sending = this.sending.get(item.id)
    const waiting = Boolean(sending)
    const before = item.before_committee
    const reasonArea = h('textarea', { rows: 2, maxlength: 2000, class: 'reject-reason', 'aria-label': t('suggestions.rejectReason'), 'data-draft': `suggestion:${item.id}:reject` })
    const rejectForm = h('form', {
      class: 'reject-form',
      hidden: !this.rejecting.has(item.id),
      onsubmit: (event) => {
        event.preventDefault()
        if (reasonArea.value.trim()) this.act(item, 'reject', { reason: reasonArea.value.trim() })
      }
    }, reasonArea, h('button', { type: 'submit', class: 'confirm-reject', disabled: waiting }, t('suggestions.confirmReject')))
    const replyArea = h('textarea', { rows: 2, maxlength: 10000, 'aria-label': t('comments.reply'), 'data-draft': `suggestion:${item.id}:reply` })
    const ownReason = h('textarea', { rows: 2, maxlength: 2000, class: 'own-reason', 'aria-label': t('suggestions.reason'), 'data-draft': `suggestion:${item.id}:reason` }, item.reason)
    return h('li', {
      class: `suggestion-card${conflict ? ' conflict' : ''}`,
      style: `--person: ${this.colours.member(item.author.id).colour}`,
      dataset: { id: item.id }
    },
    h('button', {
      type: 'button',
      class: 'quote',
      disabled: !where,
      title: t('comments.goTo'),
      onclick: () => { const now = this.place(item); if (now) this.editor.select(now.from, now.to) }
    }, this.renderChange(item)),
    conflict ? h('p', { class: 'warning conflict-note' }, t('suggestions.conflict')) : null,
    before ? h('p', { class: 'muted' }, t('suggestions.beforeCommittee')) : null,
    h('p', { class: 'byline' }, h('strong', {}, item.author.name), ` · ${item.author.organisation} · `,
      h('time', { datetime: item.created_at }, formatTime(item.created_at))),
    mine && !item.amendments_id // once put to the committee, its words are the committee's
      ? h('form', {
        class: 'reason-form',
        onsubmit: (event) => { event.preventDefault(); this.saveReason(item, ownReason.value.trim()).catch(fail) }
      }, h('label', {}, t('suggestions.reason'), ownReason), h('button', { type: 'submit', class: 'save-reason' }, t('suggestions.saveReason')))
      : item.reason ? h('p', { class: 'reason' }, h('strong', {}, `${t('suggestions.reason')} : `), item.reason) : null,
    h('ol', { class: 'replies' }, item.replies.map((reply) => h('li', { class: 'message' },
      h('p', { class: 'byline' }, h('strong', {}, reply.author.name), ` · ${reply.author.organisation} · `,
        h('time', { datetime: reply.created_at }, formatTime(reply.created_at))),
      h('p', { class: 'body' }, reply.body)))),
    this.canSuggest
      ? h('form', {
        class: 'reply',
        onsubmit: (event) => {
          event.preventDefault()
          if (replyArea.value.trim()) this.act(item, 'replies', { body: replyArea.value.trim() })
        }
      }, replyArea, h('button', { type: 'submit', disabled: waiting }, t('comments.reply')))
      : null,
    h('div', { class: 'row actions' },
      this.canDecide(item) && !before
        ? [h('button', { type: 'button', class: 'accept primary', disabled: conflict || waiting, onclick: () => this.act(item, 'accept') }, t('suggestions.accept')),
            h('button', { type: 'button', class: 'reject', onclick: () => { this.rejecting.add(item.id); rejectForm.hidden = false; reasonArea.focus() } }, t('suggestions.reject'))]
        : null,
      mine && !item.amendments_id
        ? h('button', { type: 'button', class: 'withdraw', disabled: waiting, onclick: () => this.act(item, 'withdraw') }, t('suggestions.withdraw'))
        : null),
    rejectForm,
    h('p', { class: 'sending', role: 'status' }, sending
      ? (sending.retries ? t('comments.retrying', { n: sending.retries }) : t('comments.sending'))
      : ''),
    h('p', { class: 'error', role: 'alert' }, this.failed.get(item.id) || ''))
  }

  renderToggle () {
    this.toggle.hidden = !this.canSuggest
    this.toggle.disabled = this.forced
    this.toggle.setAttribute('aria-pressed', String(this.on))
    this.toggle.textContent = this.forced ? t('suggestions.forced') : t('suggestions.mode')
    this.editor.view.dom.classList.toggle('cm-suggesting', this.on)
  }

  renderList () {
    const focus = this.drafts.focused()
    const position = (item) => (this.place(item) || { from: Infinity }).from
    const shown = [...this.items.values()].sort((a, b) => position(a) - position(b) || a.created_at.localeCompare(b.created_at))
    fill(this.list, shown.length ? shown.map((item) => this.renderCard(item)) : h('li', { class: 'muted' }, t('suggestions.none')))
    this.drawnStates = this.cardStates()
    this.drafts.restore(focus)
    this.onCount(shown.length)
  }

  render () {
    this.renderToggle()
    fill(this.container,
      h('p', { class: 'muted hint' }, this.canSuggest ? t('suggestions.hint') : t('suggestions.readOnly')),
      this.error, this.list)
    this.renderList()
    this.markSuggestions()
  }
}
