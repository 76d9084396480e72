// How the committee's record reads: a tally in the committee's words ("Pour : 2 ·
// Abstention : 0 · Objection : 1", the nouns of domain/vocabulary.json, as in the minutes and
// the exports), and a text's fingerprint kept one click away, for those who check.
import { h } from './dom.js'
import { t } from './i18n.js'

export const CHOICES = ['approve', 'abstain', 'object']

// counts: {approve, abstain, object}, from a live tally or a decision's.
export function countsLine (counts) {
  return CHOICES.map((c) => t('tally.count', { choice: t(`choice.${c}`), n: counts[c] })).join(' · ')
}

// The fingerprint and its kin, one click away for those who check.
export function checkDetails (lines) {
  return h('details', { class: 'check' }, h('summary', {}, t('check.title')),
    lines.map((line) => h('p', { class: 'muted' }, line)))
}

