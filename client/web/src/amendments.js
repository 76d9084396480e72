// Amendments in the committee panel: a coordinator puts open suggestions to the committee in
// the open meeting; members with a vote vote on each (as on a proposal, under the document's
// rule); the coordinator closes the vote, which applies the adopted ones to the text in order.
import { h } from './dom.js'
import { t } from './i18n.js'

const CHOICES = ['approve', 'abstain', 'object']

function change (item) {
  if (!item.quote) return [t('suggestions.insert'), ' ', h('ins', {}, item.replacement)]
  if (!item.replacement) return [t('suggestions.delete'), ' ', h('del', {}, item.quote)]
  return [h('del', {}, item.quote), ' → ', h('ins', {}, item.replacement)]
}

export class AmendmentsSection {
  // `run(action)` runs a change and reloads the committee panel, showing any error.
  constructor ({ api, path, me, run }) {
    Object.assign(this, { api, path, me, run })
    this.state = { votes: [], open: [] }
  }

  get coordinator () { return this.me.role === 'coordinator' }
  get voter () { return this.me.votes && ['coordinator', 'editor'].includes(this.me.role) }

  async load () {
    const [votes, open] = await Promise.all([
      this.api.get(this.path('/amendments')), this.api.get(this.path('/suggestions?status=open'))
    ])
    this.state = { votes: votes.amendments, open: open.suggestions }
  }

  render (meeting) {
    const votes = this.state.votes.filter((v) => meeting && v.meeting_id === meeting.id)
    const current = votes.find((v) => v.status === 'open')
    if (!meeting && !votes.length) return null
    return h('section', { class: 'card amendments', 'aria-labelledby': 'amendments-title' },
      h('h2', { id: 'amendments-title' }, t('amendments.title')),
      votes.map((vote) => this.renderVote(vote)),
      meeting && !current && this.coordinator ? this.renderChoice() : null,
      !votes.length && !(meeting && this.coordinator) ? h('p', { class: 'muted' }, t('amendments.none')) : null)
  }

  renderChoice () {
    const free = this.state.open.filter((s) => !s.amendments_id)
    if (!free.length) return h('p', { class: 'muted' }, t('amendments.nothing'))
    return h('form', {
      class: 'stack put-to-vote',
      onsubmit: (event) => {
        event.preventDefault()
        const ids = [...event.target.querySelectorAll('input:checked')].map((i) => i.value)
        if (ids.length) this.run(() => this.api.post(this.path('/amendments'), { suggestion_ids: ids }))
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
          onclick: () => this.run(() => this.api.post(this.path(`/amendments/${vote.id}/close`)))
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
        ? h('p', { class: 'tally' }, t('tally.secret', { n: item.votes.length }))
        : h('p', { class: 'tally' }, CHOICES.map((c) => `${t(`vote.${c}`)} : ${counts[c]}`).join(' · ')),
      item.decision
        ? h('p', { class: `decision ${item.decision}` }, h('span', { class: 'outcome' }, t(`amendments.${item.decision}`)),
          item.decision === 'accepted'
            ? ` · ${item.status === 'accepted' ? t('amendments.applied') : t('amendments.notApplied')}`
            : null)
        : null)
  }

  renderVoting (vote, item) {
    const reason = h('textarea', { rows: 1, maxlength: 2000, 'aria-label': t('vote.reason'), 'data-draft': `amend-reason:${item.suggestion_id}` })
    const cast = (choice) => this.run(async () => {
      if (choice === 'object' && !reason.value.trim()) throw new Error(t('vote.reasonNeeded'))
      await this.api.post(this.path(`/amendments/${vote.id}/votes`), {
        suggestion_id: item.suggestion_id, vote: choice, reason: reason.value.trim()
      })
    })
    const mine = item.votes.find((v) => v.organisation_id === this.me.organisation_id)
    return h('div', { class: 'voting', role: 'group', 'aria-label': t('vote.label') },
      mine ? h('p', { class: 'my-vote' }, t('vote.mine', { vote: mine.vote ? t(`vote.${mine.vote}`) : '✓' })) : null,
      reason,
      h('div', { class: 'row' }, CHOICES.map((choice) => h('button', {
        type: 'button', class: `vote vote-${choice}`, onclick: () => cast(choice)
      }, t(`vote.${choice}`)))))
  }
}
