// Formatting for people who do not know Markdown: each button rewrites the selection (or the
// selected lines) with the Markdown it stands for.
import { h } from './dom.js'
import { t } from './i18n.js'

function wrap (view, before, after, fallbackKey) {
  const { from, to } = view.state.selection.main
  const inner = view.state.sliceDoc(from, to) || t(fallbackKey)
  view.dispatch({
    changes: { from, to, insert: before + inner + after },
    selection: { anchor: from + before.length, head: from + before.length + inner.length }
  })
}

function prefixLines (view, prefix) {
  const { from, to } = view.state.selection.main
  const changes = []
  let line = view.state.doc.lineAt(from)
  let number = 1
  while (true) {
    const marker = typeof prefix === 'function' ? prefix(number) : prefix
    const existing = /^(#{1,6} |[-*] |\d+\. )/.exec(line.text)
    changes.push({
      from: line.from,
      to: line.from + (existing ? existing[0].length : 0),
      insert: marker
    })
    if (line.to >= to || line.number === view.state.doc.lines) break
    line = view.state.doc.line(line.number + 1)
    number += 1
  }
  view.dispatch({ changes })
}

function link (view) {
  const { from, to } = view.state.selection.main
  const label = view.state.sliceDoc(from, to) || t('toolbar.linkText')
  const url = window.prompt(t('toolbar.linkPrompt'), 'https://')
  if (!url) return
  view.dispatch({ changes: { from, to, insert: `[${label}](${url})` } })
}

export const ACTIONS = [
  ['h1', 'toolbar.h1', 'H1', (v) => prefixLines(v, '# ')],
  ['h2', 'toolbar.h2', 'H2', (v) => prefixLines(v, '## ')],
  ['bold', 'toolbar.bold', 'B', (v) => wrap(v, '**', '**', 'toolbar.boldText')],
  ['italic', 'toolbar.italic', 'I', (v) => wrap(v, '*', '*', 'toolbar.italicText')],
  ['bullets', 'toolbar.bullets', '•', (v) => prefixLines(v, '- ')],
  ['numbers', 'toolbar.numbers', '1.', (v) => prefixLines(v, (n) => `${n}. `)],
  ['link', 'toolbar.link', null, link]
]

export function renderToolbar (editor) {
  return h('div', { class: 'toolbar', role: 'toolbar', 'data-i18n-label': 'toolbar.label' },
    ACTIONS.map(([name, key, symbol, run]) => h('button', {
      type: 'button',
      class: `tool tool-${name}`,
      'data-i18n-label': key,
      'data-i18n-title': key,
      'data-i18n': symbol ? undefined : key,
      onclick: () => { run(editor.view); editor.view.focus() }
    }, symbol)))
}
