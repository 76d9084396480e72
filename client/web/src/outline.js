// The outline: the document's level-1 and level-2 headings (its sections), to jump between.
import { h, fill } from './dom.js'
import { t } from './i18n.js'

export function headings (text) {
  const found = []
  let offset = 0
  let fenced = false
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced
    const match = !fenced && /^(#{1,2})\s+(.+?)\s*#*\s*$/.exec(line)
    if (match) found.push({ level: match[1].length, title: match[2], from: offset })
    offset += line.length + 1
  }
  return found
}

// The heading of the section holding a position ('' before the first heading).
export function sectionAt (text, position) {
  let title = ''
  for (const heading of headings(text)) {
    if (heading.from > position) break
    title = heading.title
  }
  return title
}

export function renderOutline (container, text, jump) {
  const items = headings(text).map((heading) => h('li', { class: `level-${heading.level}` },
    h('a', {
      href: '#',
      onclick: (event) => { event.preventDefault(); jump(heading.from) }
    }, heading.title)))
  fill(container, items.length ? h('ol', {}, items) : h('p', { class: 'muted' }, t('outline.empty')))
}
