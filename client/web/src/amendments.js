// Amendments in the committee panel: a coordinator puts open suggestions to the committee in
// the open meeting; members with a vote vote on each (as on a proposal, under the document's
// rule); the coordinator closes the vote, which applies the adopted ones to the text in order.
// The section reads its own state (the votes on amendments, the open suggestions) and draws
// itself in its own box; the committee panel tells it when an event concerns it.
//
// Every action is sent with `api.sure()` (api.js): on a weak link it is tried again under the
// same idempotency key until the server answers, so a vote is cast once and a set is put to
// the committee once. While a vote is on its way, its amendment says so and waits.
import { h, fill } from './dom.js'
import { t } from './i18n.js'
import { explain, Notice } from './errors.js'
import { CHOICES, countsLine } from './record.js'
import { Drafts } from './drafts.js'

const REFRESH_MS = 50

function change (item) {
  if (!item.quote) return [t('suggestions.insert'), ' ', h('ins', {}, item.replacement)]
  if (!item.replacement) return [t('suggestions.delete'), ' ', h('del', {}, item.quote)]
  return [h('del', {}, item.quote), ' → ', h('ins', {}, item.replacement)]
}

export class AmendmentsSection {
  // `meeting()` is the open meeting (or null), as the committee panel holds it.
  constructor ({ api, path, me, meeting }) {
    Object.assign(this, { api, path, me, meeting })
    this.state = null // { votes, open } once read
    this.box = h('section', { class: 'card amendments', 'aria-labelledby': 'amendments-title' })
    this.error = h('p', { class: 'error', role: 'alert' })
    this.drafts = new Drafts(this.box)
    this.casting = new Map() // suggestion id -> { choice, retries }: votes on their way
  }

  get coordinator () { return this.me.role === 'coordinator' }
  get voter () { return this.me.votes && ['coordinator', 'editor'].includes(this.me.role) }

  // Events that change what the section shows: votes on amendments, suggestions made or
  // decided, a meeting opened or closed.
  concerns (kind) {
    return /^(amendments\.|suggestion\.(made|accepted|rejected|withdrawn)|meeting\.(opened|closed))/.test(kind)
  }

  refreshSoon () {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.refresh().catch((error) => { this.error.textContent = explain(error) }), REFRESH_MS)
  }

  async refresh () {
    const [votes, open] = await Promise.all([
      this.api.get(this.path('/amendments')), this.api.get(this.path('/suggestions?status=open'))
    ])
    this.state = { votes: votes.amendments, open: open.suggestions }
    this.render()
  }

  async run (command) {
    this.error.textContent = ''
    try {
      await command()
      this.drafts.forget()
      await this.refresh()
    } catch (error) {
      this.error.textContent = explain(error)
    }
  }

  render () {
    const meeting = this.meeting()
    if (!this.state) return
    const votes = this.state.votes.filter((v) => meeting && v.meeting_id === meeting.id)
    const current = votes.find((v) => v.status === 'open')
    this.box.hidden = !meeting && !votes.length
    const focus = this.drafts.focused()
    fill(this.box,
      h('h2', { id: 'amendments-title' }, t('amendments.title')),
      this.error,
      votes.map((vote) => this.renderVote(vote)),
      meeting && !current && this.coordinator ? this.renderChoice() : null,
      !votes.length && !(meeting && this.coordinator) ? h('p', { class: 'muted' }, t('amendments.none')) : null)
    this.drafts.restore(focus)
  }

  renderChoice () {
    const free = this.state.open.filter((s) => !s.amendments_id)
    if (!free.length) return h('p', { class: 'muted' }, t('amendments.nothing'))
    return h('form', {
      class: 'stack put-to-vote',
      onsubmit: (event) => {
        event.preventDefault()
        const ids = [...event.target.querySelectorAll('input:checked')].map((i) => i.value)
        if (ids.length) this.run(() => this.api.sure(this.path('/amendments'), { suggestion_ids: ids }))
      }
    }, h('fieldset', {}, h('legend', {}, t('amendments.choose')),
      free.map((s) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: s.id, 'data-draft': `amend:${s.id}` }),
        ' ', change(s), ` (${s.author.name})`))),
    h('button', { type: 'submit', class: 'primary' }, t('amendments.submit')))
  }

  renderVote (vote) {
    const open = vote.status === 'open'
    const unapplied = vote.amendments.some((a) => a.decision === 'accepted' && a.status === 'open')
    return h('div', { class: `amendment-vote ${vote.status}` },
      h('ol', {}, vote.amendments.map((item) => this.renderItem(vote, item))),
      this.coordinator && (open || unapplied)
        ? h('button', {
          type: 'button',
          class: 'primary close-amendments',
          onclick: () => this.run(() => this.api.sure(this.path(`/amendments/${vote.id}/close`)))
        }, t('amendments.close'))
        : null)
  }

  renderItem (vote, item) {
    const open = vote.status === 'open'
    const counts = Object.fromEntries(CHOICES.map((c) => [c, 0]))
    for (const cast of item.votes) if (cast.vote) counts[cast.vote] += 1
    return h('li', { class: 'amendment', dataset: { suggestion: item.suggestion_id } },
      h('p', { class: 'change' }, change(item), h('span', { class: 'muted' }, ` — ${item.author.name}`)),
      open && this.voter ? this.renderVoting(vote, item) : null,
      open && vote.rule.ballot === 'secret'
        ? h('p', { class: 'tally' }, t('amendments.voted', { n: item.votes.length }))
        : h('p', { class: 'tally' }, countsLine(counts)),
      item.decision
        ? h('p', { class: `decision ${item.decision}` }, h('span', { class: 'outcome' }, t(`amendments.${item.decision}`)),
          item.decision === 'accepted'
            ? ` · ${item.status === 'accepted' ? t('amendments.applied') : t('amendments.notApplied')}`
            : null)
        : null)
  }

  renderVoting (vote, item) {
    const reason = h('textarea', { rows: 1, maxlength: 2000, 'aria-label': t('vote.reason'), 'data-draft': `amend-reason:${item.suggestion_id}` })
    const id = item.suggestion_id
    const cast = (choice) => this.run(async () => {
      if (choice === 'object' && !reason.value.trim()) throw new Notice(t('vote.reasonNeeded'))
      const sending = { choice, retries: 0 }
      this.casting.set(id, sending)
      this.render()
      const body = { suggestion_id: id, vote: choice, reason: reason.value.trim() }
      try {
        await this.api.sure(this.path(`/amendments/${vote.id}/votes`), body, {
          onRetry: (n) => { sending.retries = n; this.render() }
        })
      } finally {
        this.casting.delete(id)
      }
    })
    const sending = this.casting.get(id)
    return h('div', { class: 'voting', role: 'group', 'aria-label': t('vote.label') },
      this.renderMine(item, sending),
      reason,
      h('div', { class: 'row' }, CHOICES.map((choice) => h('button', {
        type: 'button', class: `vote vote-${choice}`, disabled: Boolean(sending), onclick: () => cast(choice)
      }, t(`choice.${choice}`)))))
  }

  // The organisation's vote on this amendment, or the one on its way.
  renderMine (item, sending) {
    if (sending) {
      const vote = t(`choice.${sending.choice}`)
      return h('p', { class: 'my-vote pending' }, sending.retries
        ? t('vote.retrying', { vote, n: sending.retries })
        : t('vote.sending', { vote }))
    }
    const mine = item.votes.find((v) => v.organisation_id === this.me.organisation_id)
    if (!mine) return null
    return h('p', { class: 'my-vote' }, mine.vote ? t('vote.mine', { vote: t(`choice.${mine.vote}`) }) : t('vote.mineSecret'))
  }
}
