// The suggestions in the history: each one made, then accepted, rejected (with its reason)
// or withdrawn, newest first, with who and when. A decided suggestion leaves the text's
// margin; its record stays here.
import { h } from './dom.js'
import { t, formatMoment } from './i18n.js'

function change (item) {
  if (!item.quote) return [t('suggestions.insert'), ' ', h('ins', {}, item.replacement)]
  if (!item.replacement) return [t('suggestions.delete'), ' ', h('del', {}, item.quote)]
  return [h('del', {}, item.quote), ' → ', h('ins', {}, item.replacement)]
}

function decider (item) {
  if (item.amendments_id && item.status !== 'withdrawn') return t('history.committee')
  return item.decided_by ? item.decided_by.name : t('history.operator')
}

function entry (item, kind, colours) {
  const at = kind === 'made' ? item.created_at : item.decided_at
  const who = kind === 'made' || kind === 'withdrawn' ? item.author.name : decider(item)
  return h('li', { class: `suggestion-event ${kind}`, style: `--person: ${colours.member(item.author.id).colour}` },
    h('time', { datetime: at }, formatMoment(at)), ' ',
    t(`history.suggestion.${kind}`, { who, author: item.author.name }), ' ',
    h('span', { class: 'change' }, change(item)),
    kind === 'rejected' && item.decision_reason
      ? h('span', { class: 'decision-reason' }, ` — ${t('suggestions.reason')} : ${item.decision_reason}`)
      : null)
}

// The card, from GET .../suggestions (every status).
export function suggestionHistory (suggestions, colours) {
  const events = []
  for (const item of suggestions) {
    events.push({ at: item.created_at, node: () => entry(item, 'made', colours) })
    if (item.decided_at) events.push({ at: item.decided_at, node: () => entry(item, item.status, colours) })
  }
  events.sort((a, b) => b.at.localeCompare(a.at))
  return h('section', { class: 'card suggestion-history', 'aria-labelledby': 'suggestion-history-title' },
    h('h2', { id: 'suggestion-history-title' }, t('history.suggestions')),
    events.length
      ? h('ol', { class: 'suggestion-events' }, events.map((event) => event.node()))
      : h('p', { class: 'muted' }, t('history.noSuggestions')))
}
