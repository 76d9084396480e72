// The outline: the document's level-1 and level-2 headings (its sections), to jump between,
// named as a reader sees them: inline Markdown rendered as plain text ("Le comité de
// pilotage", never "Le **comité de pilotage**"), by the same rules as the server
// (projections/headings.py), so a section has one name on both sides.
import { h, fill } from './dom.js'
import { t } from './i18n.js'

const CODE = /(`+)(.+?)\1/g
const IMAGE = /!\[([^\]]*)\]\([^)]*\)/g
const LINK = /\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])/g
const AUTOLINK = /<((?:https?|mailto):[^>\s]+)>/g
// No lookbehind (Safari before 16.4 cannot parse it): the character before a `_` is
// captured and given back instead.
const EMPHASIS = [
  /()(\*\*\*|___)(\S(?:.*?\S)?)\2/g,
  /()(\*\*|__)(\S(?:.*?\S)?)\2/g,
  /()(~~)(\S(?:.*?\S)?)\2/g,
  /()(\*)(\S(?:.*?\S)?)\2/g,
  /(^|[^\p{L}\p{N}_\\])(_)(\S(?:.*?\S)?)_(?![\p{L}\p{N}_])/gu
]
const ESCAPE = /\\([!-/:-@[-`{-~])/g
const PLACED = /\ue000(\d+)\ue001/g

export function plainHeading (title) {
  const spans = []
  const keep = (value) => { spans.push(value); return `\ue000${spans.length - 1}\ue001` }
  let text = title.replace(CODE, (_, __, inner) => keep(inner.trim() || inner))
  text = text.replace(ESCAPE, (_, char) => keep(char))
  text = text.replace(IMAGE, '$1').replace(LINK, '$1').replace(AUTOLINK, '$1')
  for (const pattern of EMPHASIS) {
    let previous = null
    while (previous !== text) { previous = text; text = text.replace(pattern, '$1$3') }
  }
  text = text.replace(PLACED, (_, index) => spans[Number(index)])
  return text.split(/\s+/).filter(Boolean).join(' ')
}

export function headings (text) {
  const found = []
  let offset = 0
  let fenced = false
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced
    const match = !fenced && /^(#{1,2})[ \t]+(.*?)[ \t#]*$/.exec(line)
    if (match) found.push({ level: match[1].length, title: plainHeading(match[2]), from: offset })
    offset += line.length + 1
  }
  return found
}

// The heading of the section holding a position ('' before the first heading), among
// `found` (headings(text), when the caller already has them).
export function sectionAt (text, position, found = headings(text)) {
  let title = ''
  for (const heading of found) {
    if (heading.from > position) break
    title = heading.title
  }
  return title
}

export function renderOutline (container, found, jump) {
  const items = found.map((heading) => h('li', { class: `level-${heading.level}` },
    h('a', {
      href: '#',
      onclick: (event) => { event.preventDefault(); jump(heading.from) }
    }, heading.title || '…')))
  fill(container, items.length ? h('ol', {}, items) : h('p', { class: 'muted' }, t('outline.empty')))
}
