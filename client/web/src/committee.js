// The committee panel, for meetings held in a video call: attendance, the open proposal with
// its pinned text and its diff from the last approved version, the vote buttons, the tally as
// the rule allows (votes visible under an open ballot, only who voted under a secret one),
// and the decisions. Coordinators open and close meetings and proposals from here, and put
// suggestions to the committee as amendments (amendments.js).
import { h, fill } from './dom.js'
import { t, formatDate } from './i18n.js'
import { documentPath } from './api.js'
import { renderWordDiff } from './diffview.js'
import { exportButtons } from './exports.js'
import { Drafts } from './drafts.js'
import { AmendmentsSection } from './amendments.js'

const CHOICES = ['approve', 'abstain', 'object']

export class CommitteePanel {
  constructor ({ api, documentId, me, container }) {
    Object.assign(this, { api, documentId, me, container })
    this.state = null
    this.pinned = new Map() // proposal id -> {text, diff, base}
    this.error = ''
    this.drafts = new Drafts(container)
    this.amendments = new AmendmentsSection({
      api, me, path: (rest) => this.path(rest), run: (action) => this.run(action)
    })
  }

  get coordinator () { return this.me.role === 'coordinator' }
  get voter () { return this.me.votes && ['coordinator', 'editor'].includes(this.me.role) }
  path (rest) { return documentPath(this.documentId, rest) }

  onEvent (kind) {
    // Not for comments, nor for a suggestion being typed or discussed: they do not concern it.
    if (kind === 'ready' || !/^(comment\.|suggestion\.(revised|replied))/.test(kind)) {
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.reload().catch((e) => this.fail(e)), 50)
    }
  }

  async reload () {
    const [meetings, proposals, members, versions, rule] = await Promise.all([
      this.api.get(this.path('/meetings')), this.api.get(this.path('/proposals')),
      this.api.get(this.path('/members')), this.api.get(this.path('/versions')),
      this.api.get(this.path('/rule'))
    ])
    const open = meetings.meetings.find((m) => m.status === 'open') || null
    const meeting = open ? await this.api.get(this.path(`/meetings/${open.id}`)) : null
    await this.amendments.load()
    this.state = {
      meeting,
      proposals: proposals.proposals,
      members: members.members,
      versions: versions.versions,
      rule
    }
    const proposal = this.openProposal()
    if (proposal && !this.pinned.has(proposal.id)) await this.loadPinned(proposal)
    this.render()
  }

  openProposal () {
    return this.state.proposals.find((p) => p.status === 'open') || null
  }

  async loadPinned (proposal) {
    const text = await this.api.text(this.path(`/history/at?position=${proposal.position}`))
    const base = this.state.versions[this.state.versions.length - 1] || null
    const diff = await this.api.get(this.path(`/diff?from=${base ? base.position : 0}&to=${proposal.position}`))
    this.pinned.set(proposal.id, { text, diff, base })
  }

  fail (error) {
    this.error = error.message
    this.render()
  }

  async run (action) {
    this.error = ''
    try {
      await action()
      this.drafts.forget()
      await this.reload()
    } catch (error) {
      this.fail(error)
    }
  }

  render () {
    if (!this.state) return
    const focus = this.drafts.focused()
    fill(this.container,
      h('p', { class: 'error', role: 'alert' }, this.error),
      this.renderMeeting(),
      this.amendments.render(this.state.meeting),
      this.renderProposal(),
      this.renderDecisions())
    this.drafts.restore(focus)
  }

  renderMeeting () {
    const meeting = this.state.meeting
    const section = h('section', { class: 'card meeting', 'aria-labelledby': 'meeting-title' })
    if (!meeting) {
      const title = h('input', { name: 'title', required: true, maxlength: 200, 'data-draft': 'meeting-title' })
      const date = h('input', { name: 'date', type: 'date', required: true, value: new Date().toISOString().slice(0, 10), 'data-draft': 'meeting-date' })
      return fill(section, h('h2', { id: 'meeting-title' }, t('meeting.none')),
        this.coordinator
          ? h('form', {
            class: 'stack open-meeting',
            onsubmit: (e) => {
              e.preventDefault()
              this.run(() => this.api.post(this.path('/meetings'), { title: title.value, date: date.value }))
            }
          }, h('label', {}, t('meeting.title'), title), h('label', {}, t('meeting.date'), date),
          h('button', { type: 'submit', class: 'primary' }, t('meeting.open')))
          : h('p', { class: 'muted' }, t('meeting.waiting')))
    }
    const present = new Set(meeting.present)
    const attendance = this.coordinator
      ? h('form', {
        class: 'attendance',
        onsubmit: (e) => {
          e.preventDefault()
          const ids = [...e.target.querySelectorAll('input:checked')].map((i) => i.value)
          this.run(() => this.api.put(this.path(`/meetings/${meeting.id}/attendance`), { present: ids }))
        }
      },
      h('fieldset', {}, h('legend', {}, t('meeting.attendance')),
        this.state.members.map((m) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', value: m.id, checked: present.has(m.id), 'data-draft': `present:${m.id}` }),
          ` ${m.name} · ${m.organisation} (${m.country})`))),
      h('button', { type: 'submit' }, t('meeting.saveAttendance')))
      : h('div', { class: 'attendance' }, h('h3', {}, t('meeting.attendance')),
        meeting.attendance.length
          ? h('ul', {}, meeting.attendance.map((row) => h('li', {},
            h('strong', {}, `${row.organisation} (${row.country}) : `), row.members.map((m) => m.name).join(', '))))
          : h('p', { class: 'muted' }, t('meeting.nobody')))
    return fill(section,
      h('h2', { id: 'meeting-title' }, `${t('meeting.current')} : ${meeting.title}`),
      h('p', {}, formatDate(meeting.date), ' · ', t('meeting.presentCount', { n: meeting.present.length })),
      attendance,
      this.coordinator
        ? h('button', {
          type: 'button',
          class: 'close-meeting',
          onclick: () => this.run(() => this.api.post(this.path(`/meetings/${meeting.id}/close`)))
        }, t('meeting.close'))
        : null)
  }

  renderProposal () {
    const proposal = this.openProposal()
    const section = h('section', { class: 'card proposal', 'aria-labelledby': 'proposal-title' })
    if (!proposal) {
      const label = h('input', { name: 'label', required: true, maxlength: 200, 'data-draft': 'proposal-label' })
      return fill(section, h('h2', { id: 'proposal-title' }, t('proposal.none')),
        this.coordinator
          ? h('form', {
            class: 'stack open-proposal',
            onsubmit: (e) => {
              e.preventDefault()
              this.run(() => this.api.post(this.path('/proposals'), { label: label.value }))
            }
          }, h('p', { class: 'muted' }, t('proposal.pinsNow')), h('label', {}, t('proposal.label'), label),
          h('button', { type: 'submit', class: 'primary' }, t('proposal.open')))
          : null)
    }
    const pinned = this.pinned.get(proposal.id)
    return fill(section,
      h('h2', { id: 'proposal-title' }, `${t('proposal.current')} n° ${proposal.number} : ${proposal.label}`),
      h('p', { class: 'muted' }, t('proposal.pinned', { position: proposal.position }), ' · SHA-256 ',
        h('code', {}, proposal.sha256.slice(0, 16) + '…')),
      h('p', { class: 'rule' }, t('rule.summary', {
        mode: t(`rule.${this.state.rule.mode}`),
        quorum: Math.round(this.state.rule.quorum * 100),
        ballot: t(`rule.${proposal.ballot}`)
      })),
      this.renderVoting(proposal),
      this.renderTally(proposal),
      this.coordinator
        ? h('button', {
          type: 'button',
          class: 'primary close-proposal',
          onclick: () => this.run(() => this.api.post(this.path(`/proposals/${proposal.id}/close`)))
        }, t('proposal.close'))
        : null,
      pinned
        ? h('div', { class: 'pinned' },
          h('details', { open: true }, h('summary', {},
            pinned.base ? t('proposal.diffFrom', { n: pinned.base.number }) : t('proposal.diffFromEmpty')),
          renderWordDiff(pinned.diff.words)),
          h('details', {}, h('summary', {}, t('proposal.text')), h('pre', { class: 'pinned-text' }, pinned.text)))
        : null)
  }

  renderVoting (proposal) {
    if (!this.voter) return h('p', { class: 'muted' }, t('vote.notVoter'))
    const mine = proposal.votes.find((v) => v.organisation_id === this.me.organisation_id)
    const reason = h('textarea', { rows: 2, name: 'reason', maxlength: 2000, 'data-draft': `reason:${proposal.id}` })
    const cast = (choice) => this.run(async () => {
      if (choice === 'object' && !reason.value.trim()) throw new Error(t('vote.reasonNeeded'))
      await this.api.post(this.path(`/proposals/${proposal.id}/votes`), {
        vote: choice, reason: reason.value.trim() || null
      })
    })
    return h('div', { class: 'voting', role: 'group', 'aria-label': t('vote.label') },
      mine ? h('p', { class: 'my-vote' }, t('vote.mine', { vote: mine.vote ? t(`vote.${mine.vote}`) : '✓' })) : null,
      h('label', {}, t('vote.reason'), reason),
      h('div', { class: 'row' }, CHOICES.map((choice) => h('button', {
        type: 'button', class: `vote vote-${choice}`, onclick: () => cast(choice)
      }, t(`vote.${choice}`)))))
  }

  renderTally (proposal) {
    if (proposal.ballot === 'secret') {
      return h('p', { class: 'tally' }, t('tally.secret', { n: proposal.votes.length }))
    }
    const counts = Object.fromEntries(CHOICES.map((c) => [c, 0]))
    for (const vote of proposal.votes) counts[vote.vote] += 1
    return h('div', { class: 'tally', 'aria-live': 'polite' },
      h('p', {}, CHOICES.map((c) => `${t(`vote.${c}`)} : ${counts[c]}`).join(' · ')),
      h('ul', {}, proposal.votes.map((v) => h('li', {},
        `${v.organisation} (${v.country}) — ${v.member} : ${t(`vote.${v.vote}`)}`,
        v.reason ? h('q', {}, v.reason) : null))))
  }

  renderDecisions () {
    const closed = this.state.proposals.filter((p) => p.status === 'closed').reverse()
    return h('section', { class: 'card decisions', 'aria-labelledby': 'decisions-title' },
      h('h2', { id: 'decisions-title' }, t('decision.title')),
      closed.length
        ? h('ol', {}, closed.map((p) => h('li', { class: `decision ${p.decision}` },
          h('strong', {}, `n° ${p.number} ${p.label} : `),
          h('span', { class: 'outcome' }, t(`decision.${p.decision}`)),
          p.version ? ` → v${p.version}` : '',
          p.tally ? h('p', { class: 'muted' }, t('decision.tally', {
            approve: p.tally.approve, abstain: p.tally.abstain, object: p.tally.object,
            voted: p.tally.voted, eligible: p.tally.voting_organisations
          }), ' · ', p.tally.quorum_met ? t('decision.quorumMet') : t('decision.quorumMissed')) : null,
          p.version ? exportButtons(this.api, this.documentId, { version: p.version }) : null)))
        : h('p', { class: 'muted' }, t('decision.none')))
  }
}
