// The committee panel, for meetings held in a video call: attendance, the open proposal with
// the date of its text and what it changes since the last approved version, the vote buttons,
// the tally as the rule allows (votes visible under an open ballot, only who voted under a
// secret one), and the decisions. Coordinators open and close meetings and proposals here,
// and put suggestions to the committee as amendments (amendments.js, its own section).
//
// Live without refetching: each committee event carries what changed (the meeting, the
// attendance, the proposal, the vote, the decision) and is applied to the panel's state in
// place; only the part it concerns is drawn again. A vote redraws the tally and the "your
// organisation's vote" line, nothing else, so a reason being typed, boxes being ticked and
// the keyboard focus stay as they are, and no request is made. The one fetch an event causes
// is a new proposal's pinned text and its diff, once per proposal.
//
// A vote is sent with `api.sure()`: until it arrives the buttons wait and the line under them
// says it is on its way (and, after a failed attempt, that it is tried again by itself); a
// retry under the same idempotency key never casts it twice.
//
// Votes and decisions use the committee's words (domain/vocabulary.json): the same nouns as
// the minutes and the exports.
//
// Why one file of over 400 lines: one panel drawn in place from one state (above); its parts
// read and write that state, so they stay together (amendments have their own module).
import { h, fill } from './dom.js'
import { t, plural, formatDate, formatMoment } from './i18n.js'
import { documentPath } from './api.js'
import { renderWordDiff } from './diffview.js'
import { exportButtons } from './exports.js'
import { changeNote } from './changenote.js'
import { Drafts } from './drafts.js'
import { explain } from './errors.js'
import { CHOICES, countsLine, checkDetails } from './record.js'
import { AmendmentsSection } from './amendments.js'


export class CommitteePanel {
  constructor ({ api, documentId, me, roster, container }) {
    Object.assign(this, { api, documentId, me, roster, container })
    this.state = null // { meeting, proposals, rule } once loaded
    this.pinned = new Map() // proposal id -> { text, diff, base } (null while loading)
    this.drafts = new Drafts(container)
    this.error = h('p', { class: 'error', role: 'alert' })
    this.meetingBox = h('section', { class: 'card meeting', 'aria-labelledby': 'meeting-title' })
    this.proposalBox = h('section', { class: 'card proposal', 'aria-labelledby': 'proposal-title' })
    this.decisionsBox = h('section', { class: 'card decisions', 'aria-labelledby': 'decisions-title' })
    this.pending = null // events that arrive while the state is being read, applied after
    this.drawn = undefined // the id of the proposal whose box is drawn (null: none)
    this.sending = null // the vote on its way: { proposal, choice, retries }
    this.parts = null // that box's parts that change with each vote
    this.amendments = new AmendmentsSection({
      api, me, path: (rest) => this.path(rest), meeting: () => this.state && this.state.meeting
    })
  }

  get loaded () { return this.state !== null }
  get coordinator () { return this.me.role === 'coordinator' }
  get voter () { return this.me.votes && ['coordinator', 'editor'].includes(this.me.role) }
  path (rest) { return documentPath(this.documentId, rest) }

  // Read the whole state. Events that arrive meanwhile may or may not be in what is read:
  // they are applied after it (applying one twice changes nothing).
  async reload () {
    const pending = this.pending = []
    let state
    try {
      const [meetings, proposals, rule] = await Promise.all([
        this.api.get(this.path('/meetings')), this.api.get(this.path('/proposals')),
        this.api.get(this.path('/rule'))
      ])
      const open = meetings.meetings.find((m) => m.status === 'open') || null
      const meeting = open ? await this.api.get(this.path(`/meetings/${open.id}`)) : null
      state = { meeting, proposals: proposals.proposals, rule }
    } finally {
      if (this.pending === pending) this.pending = null
    }
    this.state = state
    this.drawn = undefined
    this.render()
    for (const [kind, data] of pending) this.onEvent(kind, data)
    await this.amendments.refresh()
  }

  // Live events: applied in place. `ready` (the stream (re)started) re-reads everything.
  onEvent (kind, data) {
    if (this.pending) {
      if (kind !== 'ready') this.pending.push([kind, data])
      return
    }
    if (kind === 'ready') {
      if (this.loaded) this.reload().catch((error) => this.fail(error))
      return
    }
    if (!this.loaded || !data) return
    if (this.amendments.concerns(kind)) this.amendments.refreshSoon()
    const state = this.state
    if (kind === 'meeting.opened') {
      state.meeting = state.meeting && state.meeting.id === data.id
        ? { ...state.meeting, ...data }
        : { ...data, attendance: [], proposals: [] }
      this.renderMeeting()
    } else if (kind === 'attendance.recorded') {
      if (state.meeting && state.meeting.id === data.meeting_id) {
        Object.assign(state.meeting, { present: data.present, attendance: data.attendance })
        this.renderMeeting()
      }
    } else if (kind === 'meeting.closed') {
      if (state.meeting && state.meeting.id === data.id) state.meeting = null
      this.renderMeeting()
    } else if (kind === 'proposal.opened' || kind === 'proposal.closed') {
      this.upsert(data)
      this.renderProposal()
      if (kind === 'proposal.closed') this.renderDecisions()
    } else if (kind === 'vote.cast') {
      this.applyVote(data)
    } else if (kind === 'rule.set') {
      state.rule = data
      this.renderProposal(true)
    } else if (kind.startsWith('member.') || kind === 'organisation.voting') {
      this.rosterChanged()
    }
  }

  // The member list changed (main.js keeps it): the attendance form and the tally's count.
  rosterChanged () {
    if (!this.loaded) return
    if (this.coordinator) this.renderMeeting()
    this.renderTally()
  }

  upsert (proposal) {
    const list = this.state.proposals
    const index = list.findIndex((p) => p.id === proposal.id)
    if (index >= 0) list[index] = proposal
    else list.push(proposal)
  }

  applyVote (cast) {
    const proposal = this.state.proposals.find((p) => p.id === cast.proposal_id)
    if (!proposal) return
    const { voted: _voted, ...vote } = cast
    const index = proposal.votes.findIndex((v) => v.organisation_id === vote.organisation_id)
    const before = index >= 0 ? proposal.votes[index] : null
    // Under a secret ballot the event hides the choice; the voter's own answer knew it.
    const kept = before && before.member_id === vote.member_id && !('vote' in vote) ? { ...before, ...vote } : vote
    if (index >= 0) proposal.votes[index] = kept
    else {
      proposal.votes.push(kept)
      proposal.votes.sort((a, b) => a.organisation_id.localeCompare(b.organisation_id))
    }
    this.renderTally()
  }

  openProposal () {
    return this.state.proposals.find((p) => p.status === 'open') || null
  }

  // The latest approved version, from the decisions (no extra request).
  latestVersion () {
    return this.state.proposals
      .filter((p) => p.version)
      .reduce((best, p) => (!best || p.version > best.version ? p : best), null)
  }

  async loadPinned (proposal) {
    if (this.pinned.has(proposal.id)) return
    this.pinned.set(proposal.id, null)
    const base = this.latestVersion()
    try {
      const [text, diff] = await Promise.all([
        this.api.text(this.path(`/history/at?position=${proposal.position}`)),
        this.api.get(this.path(`/diff?from=${base ? base.position : 0}&to=${proposal.position}`))
      ])
      this.pinned.set(proposal.id, { text, diff, base })
    } catch (error) {
      this.pinned.delete(proposal.id)
      this.fail(error)
      return
    }
    if (this.parts && this.drawn === proposal.id) this.renderPinned(proposal)
  }

  fail (error, slot = this.error) {
    slot.textContent = explain(error)
  }

  // A command of this member: its answer is applied like the event it also causes. A
  // refusal is said in `slot`, next to the button that was pressed.
  async run (command, apply, slot = this.error) {
    slot.textContent = ''
    try {
      apply(await command())
    } catch (error) {
      this.fail(error, slot)
    }
  }

  // The whole panel: on load and when the language changes.
  render () {
    if (!this.state) return
    const focus = this.drafts.focused()
    fill(this.container, this.error, this.meetingBox, this.amendments.box, this.proposalBox, this.decisionsBox)
    this.renderMeeting()
    this.amendments.render()
    this.renderProposal(true)
    this.renderDecisions()
    this.drafts.restore(focus)
  }

  renderMeeting () {
    const focus = this.drafts.focused()
    const meeting = this.state.meeting
    const refused = h('p', { class: 'error', role: 'alert' })
    if (!meeting) {
      const title = h('input', { name: 'title', required: true, maxlength: 200, 'data-draft': 'meeting-title' })
      const date = h('input', { name: 'date', type: 'date', required: true, value: new Date().toISOString().slice(0, 10), 'data-draft': 'meeting-date' })
      fill(this.meetingBox, h('h2', { id: 'meeting-title' }, t('meeting.none')),
        this.coordinator
          ? h('form', {
            class: 'stack open-meeting',
            onsubmit: (e) => {
              e.preventDefault()
              this.run(() => this.api.post(this.path('/meetings'), { title: title.value, date: date.value }), (record) => {
                this.drafts.forget('meeting-')
                this.state.meeting = record
                this.renderMeeting()
              }, refused)
            }
          }, h('label', {}, t('meeting.title'), title), h('label', {}, t('meeting.date'), date),
          h('button', { type: 'submit', class: 'primary' }, t('meeting.open')))
          : h('p', { class: 'muted' }, t('meeting.waiting')), refused)
    } else {
      fill(this.meetingBox,
        h('h2', { id: 'meeting-title' }, t('meeting.current', { title: meeting.title })),
        h('p', {}, formatDate(meeting.date), ' · ', plural('meeting.presentCount', meeting.present.length)),
        this.coordinator ? this.attendanceForm(meeting, refused) : this.attendanceList(meeting),
        this.coordinator
          ? h('button', {
            type: 'button',
            class: 'close-meeting',
            onclick: () => this.run(() => this.api.post(this.path(`/meetings/${meeting.id}/close`)), () => {
              this.state.meeting = null
              this.renderMeeting()
            }, refused)
          }, t('meeting.close'))
          : null,
        refused)
    }
    this.drafts.restore(focus)
  }

  attendanceForm (meeting, refused) {
    const present = new Set(meeting.present)
    return h('form', {
      class: 'attendance',
      onsubmit: (e) => {
        e.preventDefault()
        const ids = [...e.target.querySelectorAll('input:checked')].map((i) => i.value)
        this.run(() => this.api.put(this.path(`/meetings/${meeting.id}/attendance`), { present: ids }), (record) => {
          this.drafts.forget('present:')
          this.state.meeting = record
          this.renderMeeting()
        }, refused)
      }
    },
    h('details', { open: !meeting.present.length || undefined },
      h('summary', {}, t('meeting.attendanceCount', { n: meeting.present.length, organisations: meeting.attendance.length })),
      h('fieldset', {}, h('legend', {}, t('meeting.attendance')),
      h('div', { class: 'checks' }, this.roster.members.map((m) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: m.id, checked: present.has(m.id), 'data-draft': `present:${m.id}` }),
        ` ${m.name} · ${m.organisation} (${m.country})`)))),
      h('button', { type: 'submit' }, t('meeting.saveAttendance'))))
  }

  attendanceList (meeting) {
    return h('details', { class: 'attendance' },
      h('summary', {}, t('meeting.attendanceCount', { n: meeting.present.length, organisations: meeting.attendance.length })),
      meeting.attendance.length
        ? h('ul', {}, meeting.attendance.map((row) => h('li', {},
          h('strong', {}, t('meeting.row', row)), row.members.map((m) => m.name).join(', '))))
        : h('p', { class: 'muted' }, t('meeting.nobody')))
  }

  // The open proposal's box: drawn whole when the open proposal changes (or `whole`), else
  // only its tally and "your vote" line.
  renderProposal (whole = false) {
    const proposal = this.openProposal()
    const id = proposal ? proposal.id : null
    if (!whole && id === this.drawn) {
      this.renderTally()
      return
    }
    const focus = this.drafts.focused()
    this.drawn = id
    this.parts = null
    this.proposalBox.classList.toggle('is-open', Boolean(proposal)) // first on the screen
    if (!proposal) this.renderNoProposal()
    else this.renderOpenProposal(proposal)
    this.drafts.restore(focus)
  }

  renderNoProposal () {
    const label = h('input', { name: 'label', required: true, maxlength: 300, 'data-draft': 'proposal-label' })
    const refused = h('p', { class: 'error', role: 'alert' })
    fill(this.proposalBox, h('h2', { id: 'proposal-title' }, t('proposal.none')),
      this.coordinator
        ? h('form', {
          class: 'stack open-proposal',
          onsubmit: (e) => {
            e.preventDefault()
            this.run(() => this.api.post(this.path('/proposals'), { label: label.value }), (proposal) => {
              this.drafts.forget('proposal-label')
              this.upsert(proposal)
              this.renderProposal()
            }, refused)
          }
        }, h('p', { class: 'muted' }, t('proposal.pinsNow')), h('label', {}, t('proposal.label'), label),
        h('button', { type: 'submit', class: 'primary' }, t('proposal.open')))
        : null, refused)
  }

  renderOpenProposal (proposal) {
    this.parts = {
      mine: h('p', { class: 'my-vote', 'aria-live': 'polite' }),
      refused: h('p', { class: 'error', role: 'alert' }),
      tally: h('div', { class: 'tally', 'aria-live': 'polite' }),
      pinned: h('div', { class: 'pinned' }, h('p', { class: 'muted' }, t('proposal.loadingText')))
    }
    fill(this.proposalBox,
      h('h2', { id: 'proposal-title' }, t('proposal.current', { number: proposal.number, label: proposal.label })),
      h('p', { class: 'when' }, proposal.opened_at
        ? t('proposal.when', { when: formatMoment(proposal.opened_at) })
        : t('proposal.whenUnknown')),
      checkDetails([t('check.sha256', { hash: proposal.sha256 }), t('check.point', { n: proposal.position })]),
      this.ruleLine(proposal.ballot),
      this.renderVoting(proposal),
      this.parts.tally,
      this.coordinator
        ? h('button', {
          type: 'button',
          class: 'primary close-proposal',
          onclick: () => this.run(() => this.api.post(this.path(`/proposals/${proposal.id}/close`)), (closed) => {
            this.upsert(closed)
            this.renderProposal()
            this.renderDecisions()
          }, this.parts.refused)
        }, t('proposal.close'))
        : null,
      this.parts.refused,
      this.parts.pinned)
    this.renderTally()
    if (this.pinned.get(proposal.id)) this.renderPinned(proposal)
    else this.loadPinned(proposal)
  }

  ruleLine (ballot) {
    const rule = this.state.rule
    return h('p', { class: 'rule' }, t('rule.summary', {
      mode: t(`mode.${rule.mode}`),
      quorum: Math.round(rule.quorum * 100),
      ballot: t(`ballot.${ballot}`)
    }), ' — ', t(rule.mode === 'consent' ? 'rule.consentMeans' : 'rule.majorityMeans'))
  }

  renderPinned (proposal) {
    const pinned = this.pinned.get(proposal.id)
    fill(this.parts.pinned,
      pinned.base ? this.noteOf(proposal, pinned) : null,
      h('details', { open: true, class: 'changes' }, h('summary', {},
        pinned.base ? t('proposal.diffFrom', { n: pinned.base.version }) : t('proposal.diffFromEmpty')),
      renderWordDiff(pinned.diff.words)),
      h('details', {}, h('summary', {}, t('proposal.text')), h('pre', { class: 'pinned-text' }, pinned.text)))
  }

  // The proposal's change note, made once and kept across renders (votes re-render often).
  noteOf (proposal, pinned) {
    if (!pinned.note || pinned.noteLanguage !== t('changes.proposed')) {
      pinned.note = changeNote(this.api, this.path(`/proposals/${proposal.id}/changes`), {
        open: true, summary: t('changes.proposed')
      })
      pinned.noteLanguage = t('changes.proposed')
    }
    return pinned.note
  }

  renderVoting (proposal) {
    if (!this.voter) return h('p', { class: 'muted' }, t('vote.notVoter'))
    const reason = h('textarea', { rows: 2, name: 'reason', maxlength: 2000, 'data-draft': `reason:${proposal.id}` })
    const refused = h('p', { class: 'error', role: 'alert' })
    const cast = (choice) => {
      if (this.sending) return // one vote at a time: the buttons say so
      refused.textContent = ''
      if (choice === 'object' && !reason.value.trim()) {
        refused.textContent = t('vote.reasonNeeded')
        return
      }
      this.sending = { proposal: proposal.id, choice, retries: 0 }
      this.renderTally()
      const path = this.path(`/proposals/${proposal.id}/votes`)
      this.api.sure(path, { vote: choice, reason: reason.value.trim() || null }, {
        onRetry: (n) => { this.sending.retries = n; this.renderTally() }
      }).then((answer) => {
        this.sending = null
        this.applyVote(answer)
      }, (error) => {
        this.sending = null
        this.renderTally()
        this.fail(error, refused)
      })
    }
    this.parts.buttons = CHOICES.map((choice) => h('button', {
      type: 'button',
      class: `vote vote-${choice}`,
      dataset: { choice },
      'aria-pressed': 'false',
      'aria-label': t('vote.as', { choice: t(`choice.${choice}`) }),
      onclick: () => cast(choice)
    }, t(`choice.${choice}`)))
    return h('div', { class: 'voting', role: 'group', 'aria-labelledby': 'vote-title' },
      h('h3', { id: 'vote-title' }, t('vote.label')),
      this.parts.mine,
      h('div', { class: 'row vote-buttons' }, this.parts.buttons),
      refused,
      h('label', {}, t('vote.reason'), reason))
  }

  // Organisations with a vote on this document, from the member list.
  eligible () {
    return new Set(this.roster.members.filter((m) => m.organisation_votes).map((m) => m.organisation_id)).size
  }

  renderTally () {
    const proposal = this.openProposal()
    if (!this.parts || !proposal || proposal.id !== this.drawn) return
    const mine = proposal.votes.find((v) => v.organisation_id === this.me.organisation_id)
    const sending = this.sending && this.sending.proposal === proposal.id ? this.sending : null
    this.parts.mine.classList.toggle('pending', Boolean(sending))
    if (sending) {
      const vote = t(`choice.${sending.choice}`)
      fill(this.parts.mine, sending.retries
        ? t('vote.retrying', { vote, n: sending.retries })
        : t('vote.sending', { vote }))
    } else {
      fill(this.parts.mine, mine
        ? (mine.vote ? t('vote.mine', { vote: t(`choice.${mine.vote}`) }) : t('vote.mineSecret'))
        : null)
    }
    for (const button of this.parts.buttons || []) {
      button.setAttribute('aria-pressed', String(Boolean(mine && mine.vote === button.dataset.choice)))
      button.disabled = Boolean(sending)
      button.classList.toggle('sending', Boolean(sending && sending.choice === button.dataset.choice))
    }
    const counted = t('tally.counted', { voted: proposal.votes.length, eligible: this.eligible() })
    if (proposal.ballot === 'secret') {
      fill(this.parts.tally, h('p', {}, t('tally.secret', { n: proposal.votes.length }), ' · ', counted))
      return
    }
    const counts = Object.fromEntries(CHOICES.map((c) => [c, 0]))
    for (const vote of proposal.votes) counts[vote.vote] += 1
    fill(this.parts.tally,
      h('h3', {}, t('tally.title')),
      h('p', { class: 'tally-counts' }, countsLine(counts), ' · ', counted),
      proposal.votes.length
        ? h('ul', {}, proposal.votes.map((v) => h('li', { class: `vote-line choice-${v.vote}` },
          t('tally.voter', v),
          h('strong', {}, t(`choice.${v.vote}`)),
          v.reason ? [' — ', h('q', {}, v.reason)] : null)))
        : h('p', { class: 'muted' }, t('tally.none')))
  }

  renderDecisions () {
    const closed = this.state.proposals.filter((p) => p.status === 'closed').reverse()
    fill(this.decisionsBox,
      h('h2', { id: 'decisions-title' }, t('decision.title')),
      closed.length
        ? h('ol', {}, closed.map((p) => h('li', { class: `decision ${p.decision}` },
          h('strong', {}, t('decision.line', { number: p.number, label: p.label })),
          h('span', { class: 'outcome' }, t(`decision.${p.decision}`)),
          p.version ? t('decision.version', { n: p.version }) : '',
          p.tally ? h('p', { class: 'muted' }, countsLine(p.tally), ' · ',
            t('decision.voted', { voted: p.tally.voted, eligible: p.tally.voting_organisations }), ' · ',
            t(p.tally.quorum_met ? 'quorum.met' : 'quorum.missed')) : null,
          p.version ? exportButtons(this.api, this.documentId, { version: p.version }) : null)))
        : h('p', { class: 'muted' }, t('decision.none')))
  }
}
