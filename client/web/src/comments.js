// Comments: select a passage, comment on it; threads listed beside the text in the order of
// their passages, with replies, resolve and reopen; kept current by the live channel.
// A passage is anchored with Yjs relative positions, so it follows the text as people type.
// Each event carries the whole thread: only that thread's entry is drawn again, the others
// stay in place (a reply being typed elsewhere keeps its words and its focus).
//
// Comments, replies, resolving and reopening are sent with `api.sure()`: until the server
// answers, the button waits and a line says the message is on its way (and, after a failed
// attempt, that it is tried again by itself); a retry never makes a second comment.
import * as Y from 'yjs'
import { h, fill, reconcile } from './dom.js'
import { t, formatTime } from './i18n.js'
import { documentPath } from './api.js'
import { encodePosition, placeRange } from './positions.js'
import { sectionAt } from './outline.js'
import { Drafts } from './drafts.js'
import { explain, Notice } from './errors.js'

const MAX_QUOTE = 2000

// Show that `send(onRetry)` is on its way: `button` waits, `note` says so.
function sending (button, note, send) {
  button.disabled = true
  note.textContent = t('comments.sending')
  return send((n) => { note.textContent = t('comments.retrying', { n }) }).finally(() => {
    button.disabled = false
    note.textContent = ''
  })
}

export class CommentsPanel {
  constructor ({ api, documentId, live, editor, me, container, onCount }) {
    Object.assign(this, { api, documentId, live, editor, me, container, onCount })
    this.threads = new Map()
    this.filter = 'open'
    this.draft = null
    this.canComment = ['coordinator', 'editor', 'commenter'].includes(me.role)
    this.selection = { from: 0, to: 0 }
    this.list = h('ol', { class: 'threads' })
    this.form = h('div', { class: 'new-comment' })
    this.filters = h('div', { class: 'row filters', role: 'group' })
    this.entries = new Map() // thread id -> { thread, element } as last drawn
    this.drafts = new Drafts(container)
    fill(container, this.filters, this.form, this.list)
    this.render()
  }

  // Threads that change while the list is being read are applied after it.
  async reload () {
    const pending = this.pending = []
    try {
      const { comments } = await this.api.get(documentPath(this.documentId, '/comments'))
      this.threads = new Map(comments.map((thread) => [thread.id, thread]))
    } finally {
      if (this.pending === pending) this.pending = null
    }
    for (const thread of pending) this.threads.set(thread.id, thread)
    this.renderList()
  }

  onEvent (kind, data) {
    if (kind === 'ready') this.reload().catch((error) => console.error(error))
    else if (kind.startsWith('comment.') && data && data.id && this.pending) this.pending.push(data)
    else if (kind.startsWith('comment.') && data && data.id) {
      this.threads.set(data.id, data)
      this.renderList()
    }
  }

  selectionChanged (from, to) {
    this.selection = { from, to }
    if (this.draft === null) this.renderForm() // an open draft keeps the passage it quotes
  }

  // Where a thread's passage stands now, in the editor's positions.
  range (thread) {
    if (!thread.anchor || thread.detached) return null
    return placeRange(thread.anchor.start, thread.anchor.end, this.live.doc)
  }

  textChanged () {
    clearTimeout(this.marking)
    this.marking = setTimeout(() => this.markPassages(), 200)
  }

  markPassages () {
    const open = [...this.threads.values()].filter((thread) => thread.status === 'open')
    this.editor.markComments(open.map((thread) => this.range(thread)).filter(Boolean))
  }

  // An open draft holds its passage as Yjs relative positions: it follows others' typing.
  openDraft (from, to) {
    this.draft = {
      start: Y.createRelativePositionFromTypeIndex(this.live.text, from),
      end: Y.createRelativePositionFromTypeIndex(this.live.text, to, -1)
    }
  }

  draftRange () {
    const start = Y.createAbsolutePositionFromRelativePosition(this.draft.start, this.live.doc)
    const end = Y.createAbsolutePositionFromRelativePosition(this.draft.end, this.live.doc)
    return { from: start ? start.index : 0, to: end ? end.index : 0 }
  }

  async create (body, onRetry) {
    const { from, to } = this.draftRange()
    if (to <= from) throw new Notice(t('comments.detached'))
    const text = this.live.text.toString()
    const anchor = {
      start: encodePosition(this.draft.start),
      end: encodePosition(this.draft.end)
    }
    const thread = await this.api.sure(documentPath(this.documentId, '/comments'), {
      body, quote: text.slice(from, to), section: sectionAt(text, from), anchor
    }, { onRetry })
    this.threads.set(thread.id, thread)
    this.draft = null
    this.drafts.forget('new-comment')
    this.renderForm()
    this.renderList()
  }

  async act (thread, action, body, onRetry) {
    const path = documentPath(this.documentId, `/comments/${thread.id}/${action}`)
    const answer = await this.api.sure(path, body, { onRetry })
    this.drafts.forget(`reply:${thread.id}`)
    this.threads.set(answer.id, answer)
    this.renderList()
  }

  renderForm (focus = false) {
    const { from, to } = this.draft ? this.draftRange() : this.selection
    if (!this.canComment) {
      fill(this.form, h('p', { class: 'muted' }, t('comments.readOnly')))
      return
    }
    if (this.draft === null) {
      const empty = from === to
      fill(this.form, h('button', {
        type: 'button',
        class: 'primary comment-selection',
        disabled: empty || to - from > MAX_QUOTE,
        onclick: () => { this.openDraft(from, to); this.renderForm(true) }
      }, t('comments.onSelection')),
      empty ? h('p', { class: 'muted hint' }, t('comments.selectFirst')) : null,
      to - from > MAX_QUOTE ? h('p', { class: 'muted hint' }, t('comments.tooLong')) : null)
      return
    }
    const area = h('textarea', { rows: 3, class: 'comment-body', maxlength: 10000, 'data-draft': 'new-comment' })
    const error = h('p', { class: 'error', role: 'alert' })
    const note = h('p', { class: 'sending muted', role: 'status' })
    const submit = h('button', { type: 'submit', class: 'primary' }, t('comments.send'))
    fill(this.form, h('form', {
      onsubmit: (event) => {
        event.preventDefault()
        if (!area.value.trim() || submit.disabled) return
        error.textContent = ''
        sending(submit, note, (onRetry) => this.create(area.value.trim(), onRetry))
          .catch((e) => { error.textContent = explain(e) })
      }
    },
    h('blockquote', {}, this.live.text.toString().slice(from, to)),
    h('label', {}, t('comments.body'), area),
    h('div', { class: 'row' },
      submit,
      h('button', { type: 'button', onclick: () => { this.draft = null; this.drafts.forget('new-comment'); this.renderForm() } }, t('common.cancel'))),
    note, error))
    this.drafts.restore(null)
    if (focus) area.focus()
  }

  renderThread (thread) {
    const where = this.range(thread)
    const replyArea = h('textarea', { rows: 2, 'aria-label': t('comments.reply'), maxlength: 10000, 'data-draft': `reply:${thread.id}` })
    const error = h('p', { class: 'error', role: 'alert' })
    const note = h('p', { class: 'sending muted', role: 'status' })
    const fail = (e) => { error.textContent = explain(e) }
    const mayResolve = thread.author.id === this.me.id || this.me.role === 'coordinator'
    const replyButton = h('button', { type: 'submit' }, t('comments.reply'))
    const act = (button, action, body) => {
      if (button.disabled) return
      error.textContent = ''
      sending(button, note, (onRetry) => this.act(thread, action, body, onRetry)).catch(fail)
    }
    return h('li', { class: `thread ${thread.status}`, dataset: { id: thread.id } },
      h('button', {
        type: 'button',
        class: 'quote',
        disabled: !where,
        title: where ? t('comments.goTo') : t('comments.detached'),
        onclick: () => {
          const now = this.range(thread) // where the passage is at the moment of the click
          if (now) this.editor.select(now.from, now.to)
        }
      }, `« ${thread.quote} »`),
      thread.detached ? h('p', { class: 'muted' }, t('comments.detached')) : null,
      h('div', { class: 'message' },
        h('p', { class: 'byline' }, h('strong', {}, thread.author.name), ` · ${thread.author.organisation} · `,
          h('time', { datetime: thread.created_at }, formatTime(thread.created_at))),
        h('p', { class: 'body' }, thread.body)),
      h('ol', { class: 'replies' }, thread.replies.map((reply) => h('li', { class: 'message' },
        h('p', { class: 'byline' }, h('strong', {}, reply.author.name), ` · ${reply.author.organisation} · `,
          h('time', { datetime: reply.created_at }, formatTime(reply.created_at))),
        h('p', { class: 'body' }, reply.body)))),
      this.canComment && thread.status === 'open'
        ? h('form', {
          class: 'reply',
          onsubmit: (event) => {
            event.preventDefault()
            if (replyArea.value.trim()) act(replyButton, 'replies', { body: replyArea.value.trim() })
          }
        }, replyArea, replyButton)
        : null,
      mayResolve
        ? h('button', {
          type: 'button',
          class: 'resolve',
          onclick: (event) => act(event.currentTarget, thread.status === 'open' ? 'resolve' : 'reopen')
        }, thread.status === 'open' ? t('comments.resolve') : t('comments.reopen'))
        : null,
      note, error)
  }

  // The filters, the form and the list: on load and when the language changes.
  render () {
    const focus = this.drafts.focused()
    const choice = (value, key) => h('button', {
      type: 'button',
      'aria-pressed': String(this.filter === value),
      onclick: () => { this.filter = value; this.render() }
    }, t(key))
    this.filters.setAttribute('aria-label', t('comments.filter'))
    fill(this.filters, choice('open', 'comments.open'), choice('resolved', 'comments.resolved'), choice('all', 'comments.all'))
    this.renderForm()
    this.entries.clear()
    this.renderList()
    this.drafts.restore(focus)
  }

  // The threads in the order of their passages; an entry is drawn again only when its
  // thread changed, and entries already in place are not moved.
  renderList () {
    const all = [...this.threads.values()]
    const shown = all.filter((thread) => this.filter === 'all' || thread.status === this.filter)
    const position = (thread) => (this.range(thread) || { from: Infinity }).from
    shown.sort((a, b) => position(a) - position(b) || a.created_at.localeCompare(b.created_at))
    const focus = this.drafts.focused()
    let redrawn = false
    const elements = shown.map((thread) => {
      const entry = this.entries.get(thread.id)
      if (entry && entry.thread === thread) return entry.element
      redrawn = true
      const element = this.renderThread(thread)
      this.entries.set(thread.id, { thread, element })
      return element
    })
    reconcile(this.list, elements.length ? elements : [h('li', { class: 'muted' }, t('comments.none'))])
    if (redrawn) this.drafts.restore(focus)
    this.markPassages()
    this.onCount(all.filter((thread) => thread.status === 'open').length)
  }
}
