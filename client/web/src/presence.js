// Who is here, for a meeting of 20 or 30 people: a one-line summary ("23 présent·e·s ·
// 9 structures FR · 7 TG", and who is writing where) that opens a list grouped by country
// and organisation. Someone is "writing" when text they inserted arrived in the last few
// seconds (read from the update's own client ids, which are their awareness ids), and
// "where" is the section holding their cursor. Each person has their colour from the document's member list
// (colours.js), the same on their cursor and in the history.
//
// The names come from the server's stamp on each awareness state (`member`, the
// authenticated member), never from what a browser claims: y-codemirror draws cursor labels
// from `user`, so `user` is overwritten with the stamp on arrival (the listener is added
// before the editor's, so it runs first).
//
// Cursor labels show for a moment after their person moves, then fade (class `recent` on the
// caret), so that on a phone they do not cover the text being read.
//
// Presence that tells the truth on weak links: someone whose every state left (the server
// removes a connection's states when it closes, and those not renewed for 30 s; each client
// drops a state not renewed for 30 s) is listed as *hors ligne* with the time they went, until
// they come back, and their cursor is gone with their state. When it is this page that lost
// its connection (y-websocket then drops every other state), nobody is marked offline: the
// header says that this page is. The page renews its own state on the traffic it receives
// (live.js), so a background tab whose timers the browser slows down still shows present.
import * as Y from 'yjs'
import { h, fill } from './dom.js'
import { t, plural, formatTime } from './i18n.js'
import { headings, sectionAt } from './outline.js'

const RECENT_MS = 3000 // a cursor label stays this long after its person moved
const TYPING_MS = 10000 // someone whose cursor moved this recently is "writing"
const RENDER_EVERY_MS = 300 // with 30 people typing, the list is redrawn at most this often

export class Presence {
  constructor ({ awareness, live, me, colours, container }) {
    Object.assign(this, { awareness, live, me, colours, container })
    this.moved = new Map() // client id -> { at, cursor: JSON of the last cursor seen }
    this.wrote = new Map() // client id -> when text they inserted last arrived
    this.members = new Map() // client id -> the member its state was stamped with
    this.gone = new Map() // member id -> { member, at }: seen, then every state left
    this.expanded = false
    this.editorRoot = null
    this.lastRender = 0
    this.summary = h('button', {
      type: 'button',
      class: 'presence-summary',
      'aria-expanded': 'false',
      'aria-controls': 'presence-list',
      onclick: () => this.toggle()
    })
    this.typing = h('p', { class: 'presence-typing', 'aria-live': 'off' })
    this.list = h('div', {
      id: 'presence-list',
      class: 'presence-list',
      hidden: true,
      onkeydown: (event) => { if (event.key === 'Escape') { this.toggle(false); this.summary.focus() } }
    })
    this.heading = h('h2', { class: 'visually-hidden' })
    fill(container, this.heading, this.summary, this.typing, this.list)
    this.setLocalUser()
    awareness.on('change', (changes, origin) => this.changed(changes, origin))
    // Only updates made while connected: a (re)connection's catch-up is history, not typing.
    live.doc.on('update', (update, origin) => {
      if (origin === live.provider && live.provider.synced) this.received(update)
    })
    this.render()
  }

  // Text from others: who inserted it (deletions name nobody, and do not count).
  received (update) {
    const now = Date.now()
    let authors
    try {
      authors = [...Y.parseUpdateMeta(update).from.keys()] // the clients whose insertions it holds
    } catch (_) {
      return
    }
    for (const client of authors) this.wrote.set(client, now)
    if (authors.length) this.schedule()
  }

  setLocalUser () {
    const { colour, light } = this.colours.member(this.me.id)
    this.awareness.setLocalStateField('user', { name: this.me.name, color: colour, colorLight: light })
  }

  // Colours may change when the member list does: stamp every state again.
  refresh () {
    this.setLocalUser()
    this.stamp()
    this.render()
  }

  stamp () {
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.awareness.clientID) continue
      const member = state.member
      const colours = this.colours.member(member ? member.id : clientId)
      // No stamp (never seen from this server): no name rather than a claimed one.
      state.user = { name: member ? member.name : '?', color: colours.colour, colorLight: colours.light }
    }
  }

  changed ({ added, updated, removed }, origin) {
    this.stamp()
    const now = Date.now()
    for (const clientId of [...added, ...updated]) {
      if (clientId === this.awareness.clientID) continue
      const state = this.awareness.getStates().get(clientId)
      if (state && state.member) {
        this.members.set(clientId, state.member)
        this.gone.delete(state.member.id)
      }
      const cursor = state && state.cursor ? JSON.stringify(state.cursor) : null
      const before = this.moved.get(clientId)
      // A cursor seen for the first time has not moved: only a change counts.
      if (cursor && (!before || before.cursor !== cursor)) this.moved.set(clientId, { at: before ? now : 0, cursor })
    }
    // This page's own disconnection removes everyone: that is not theirs.
    const ours = origin === this.live.provider && !this.live.provider.wsconnected
    for (const clientId of removed) {
      this.moved.delete(clientId)
      this.wrote.delete(clientId)
      const member = this.members.get(clientId)
      this.members.delete(clientId)
      if (member && !ours && !this.present(member.id)) this.gone.set(member.id, { member, at: now })
    }
    this.schedule()
  }

  present (memberId) {
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId !== this.awareness.clientID && state.member && state.member.id === memberId) return true
    }
    return false
  }

  schedule (delay = 0) {
    if (this.timer) return
    const wait = Math.max(delay, RENDER_EVERY_MS - (Date.now() - this.lastRender))
    this.timer = setTimeout(() => { this.timer = null; this.render() }, wait)
  }

  toggle (open = !this.expanded) {
    this.expanded = open
    this.summary.setAttribute('aria-expanded', String(open))
    this.list.hidden = !open
    this.render()
  }

  // Everyone here, one entry per member (a person may have several tabs open).
  people () {
    const found = new Map()
    const now = Date.now()
    for (const [clientId, state] of this.awareness.getStates()) {
      const member = clientId === this.awareness.clientID ? this.me : state.member
      if (!member) continue
      const person = found.get(member.id) || { member, at: 0, wrote: 0, cursor: null }
      const moved = this.moved.get(clientId)
      if (moved && moved.at >= person.at && state.cursor) Object.assign(person, { at: moved.at, cursor: state.cursor })
      person.wrote = Math.max(person.wrote, this.wrote.get(clientId) || 0)
      found.set(member.id, person)
    }
    for (const person of found.values()) {
      person.recent = now - person.at < RECENT_MS
      person.typing = person.member.id !== this.me.id && now - person.wrote < TYPING_MS
    }
    return [...found.values()].sort((a, b) => a.member.name.localeCompare(b.member.name))
  }

  // The section where someone's cursor stands ('' before the first heading), or null.
  section (cursor, text, found) {
    try {
      const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), this.live.doc)
      return head ? sectionAt(text, head.index, found) : null
    } catch (_) {
      return null
    }
  }

  render () {
    this.lastRender = Date.now()
    const people = this.people()
    const organisations = { FR: new Set(), TG: new Set() }
    for (const { member } of people) (organisations[member.country] || new Set()).add(member.organisation)
    this.heading.textContent = t('presence.title')
    const gone = [...this.gone.values()].sort((a, b) => a.member.name.localeCompare(b.member.name))
    fill(this.summary,
      h('span', { class: 'presence-count' }, plural('presence.count', people.length)),
      h('span', { class: 'presence-orgs' }, ` · ${plural('presence.organisations', organisations.FR.size, { fr: organisations.FR.size, tg: organisations.TG.size })}`),
      gone.length ? h('span', { class: 'presence-gone' }, ` · ${t('presence.goneCount', { n: gone.length })}`) : null)
    this.summary.setAttribute('title', t('presence.show'))
    const typing = people.filter((person) => person.typing)
    const text = typing.length ? this.live.text.toString() : ''
    const found = typing.length ? headings(text) : []
    for (const person of typing) person.section = this.section(person.cursor, text, found)
    this.renderTyping(typing)
    if (this.expanded) this.renderList(people, organisations, gone)
    this.markCursors(people)
    if (typing.length) this.schedule(1000) // until their "writing" expires
  }

  renderTyping (typing) {
    const named = typing.slice(0, 3).map((person) => person.section
      ? t('presence.where', { name: person.member.name, section: person.section })
      : person.member.name)
    const names = typing.length > 3 ? t('presence.typingMore', { names: named.join(', '), n: typing.length - 3 }) : named.join(', ')
    fill(this.typing, typing.length
      ? [h('span', { class: 'typing-long' }, t('presence.typing', { names })),
          h('span', { class: 'typing-short' }, t('presence.typingCount', { n: typing.length }))]
      : null)
  }

  renderList (people, organisations, gone) {
    const groups = ['FR', 'TG'].map((country) => {
      const here = people.filter((person) => person.member.country === country)
      if (!here.length) return null
      const byOrganisation = new Map()
      for (const person of here) {
        const key = person.member.organisation
        byOrganisation.set(key, [...(byOrganisation.get(key) || []), person])
      }
      const names = [...byOrganisation.keys()].sort((a, b) => a.localeCompare(b))
      return h('section', { class: 'presence-country' },
        h('h3', {}, t(`country.${country}`), ' ',
          h('span', { class: 'muted' }, t('presence.groupCount', { organisations: organisations[country].size, people: here.length }))),
        h('ul', { class: 'organisations' }, names.map((name) => {
          const members = byOrganisation.get(name)
          const colour = this.colours.organisationNamed(name) // the stamp names it, by name
          return h('li', { class: 'organisation', style: `--organisation: ${colour.colour}` },
            h('span', { class: 'organisation-name' }, name),
            h('ul', { class: 'people' }, members.map((person) => this.renderPerson(person))))
        })))
    })
    const offline = gone.length
      ? h('section', { class: 'presence-offline' },
        h('h3', {}, t('presence.goneTitle', { n: gone.length })),
        h('ul', { class: 'people' }, gone.map(({ member, at }) => h('li', {
          class: 'person offline',
          dataset: { member: member.id },
          style: `--person: ${this.colours.member(member.id).colour}`
        }, h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'name' }, member.name), ' ',
        h('span', { class: 'muted' }, t('presence.goneSince', { organisation: member.organisation, time: formatTime(new Date(at).toISOString()) }))))))
      : null
    fill(this.list, groups, offline)
  }

  renderPerson (person) {
    const { member } = person
    const you = member.id === this.me.id ? ` ${t('presence.you')}` : ''
    const where = person.typing
      ? h('span', { class: 'writes' }, ' ✎ ', person.section ? t('presence.writes', { section: person.section }) : t('presence.writesTop'))
      : null
    return h('li', {
      class: `person${person.typing ? ' typing' : ''}`,
      dataset: { member: member.id },
      style: `--person: ${this.colours.member(member.id).colour}`
    }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'name' }, member.name + you), where)
  }

  // Cursor labels: shown while their person has just moved, then faded.
  attachEditor (root) {
    this.editorRoot = root
  }

  markCursors (people = this.people()) {
    if (!this.editorRoot) return
    const byName = new Map(people.map((person) => [person.member.name, person]))
    let recent = false
    for (const caret of this.editorRoot.querySelectorAll('.cm-ySelectionCaret')) {
      const label = caret.querySelector('.cm-ySelectionInfo')
      const person = label && byName.get(label.textContent)
      const fresh = Boolean(person && person.recent)
      caret.classList.toggle('recent', fresh)
      if (person) label.style.color = this.colours.member(person.member.id).ink
      recent = recent || fresh
    }
    clearTimeout(this.fading)
    if (recent) this.fading = setTimeout(() => this.markCursors(), 500)
  }
}
