// A word diff as the server gives it ([{op, text}]), shown with <ins> and <del>, under a line
// that counts what a reader cares about: words added and removed, paragraphs changed.
import { h } from './dom.js'
import { t } from './i18n.js'

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu

function count (text) {
  return (text.match(WORD) || []).length
}

// Words added and removed, and the paragraphs (blocks separated by a blank line) holding a
// change: those of the new text an insertion or a deletion falls in, plus any old paragraph
// a deletion removed whole.
export function diffSummary (words) {
  let added = 0
  let removed = 0
  let paragraph = 0 // the paragraph of the new text we are in
  let gone = 0
  const changed = new Set()
  for (const word of words) {
    const breaks = (word.text.match(/\n\s*\n/g) || []).length
    if (word.op === 'insert') {
      added += count(word.text)
      for (let i = 0; i <= breaks; i++) changed.add(paragraph + i)
    } else if (word.op === 'delete') {
      removed += count(word.text)
      changed.add(paragraph)
      gone += breaks
    }
    if (word.op !== 'delete') paragraph += breaks
  }
  return { added, removed, paragraphs: changed.size + gone }
}

// "52 mots ajoutés dans 8 paragraphes", "3 mots supprimés, 5 ajoutés dans 1 paragraphe".
export function describeDiff ({ added, removed, paragraphs }) {
  const parts = []
  if (added) parts.push(t('diff.added', { n: added }))
  if (removed) parts.push(t('diff.removed', { n: removed }))
  if (!parts.length) parts.push(t('diff.layout'))
  return t('diff.summary', { changes: parts.join(', '), paragraphs })
}

export function renderWordDiff (words) {
  if (!words.some((w) => w.op !== 'equal')) return h('p', { class: 'muted diff-same' }, t('diff.same'))
  return [
    h('p', { class: 'diff-summary' }, describeDiff(diffSummary(words))),
    h('div', { class: 'word-diff', 'aria-label': t('diff.label') }, words.map((word) =>
      word.op === 'insert'
        ? h('ins', {}, word.text)
        : word.op === 'delete' ? h('del', {}, word.text) : h('span', {}, word.text)))
  ]
}
