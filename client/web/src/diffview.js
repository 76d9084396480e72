// A word diff as the server gives it ([{op, text}]), shown with <ins> and <del>.
import { h } from './dom.js'
import { t } from './i18n.js'

export function renderWordDiff (words) {
  if (!words.some((w) => w.op !== 'equal')) return h('p', { class: 'muted' }, t('diff.same'))
  return h('div', { class: 'word-diff', 'aria-label': t('diff.label') }, words.map((word) =>
    word.op === 'insert'
      ? h('ins', {}, word.text)
      : word.op === 'delete' ? h('del', {}, word.text) : h('span', {}, word.text)))
}
