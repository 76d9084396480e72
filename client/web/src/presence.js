// Who is here. The names shown come from the server's stamp on each awareness state
// (`member`, the authenticated member), never from what a browser claims: the cursor labels
// drawn by y-codemirror read `user`, so it is overwritten with the stamp on arrival.
import { h, fill, colourFor } from './dom.js'
import { t } from './i18n.js'

// Call before the editor exists, so this runs before y-codemirror draws the cursors.
export function trustServerNames (awareness) {
  awareness.on('change', () => {
    for (const [clientId, state] of awareness.getStates()) {
      if (clientId === awareness.clientID) continue
      const member = state.member
      const colours = colourFor(member ? member.id : clientId)
      // No stamp (never seen from this server): no name rather than a claimed one.
      state.user = { name: member ? member.name : '?', color: colours.colour, colorLight: colours.light }
    }
  })
}

export function startPresence (awareness, me, container) {
  const { colour, light } = colourFor(me.id)
  awareness.setLocalStateField('user', { name: me.name, color: colour, colorLight: light })
  const render = () => {
    const people = new Map()
    for (const [clientId, state] of awareness.getStates()) {
      const member = clientId === awareness.clientID ? me : state.member
      if (member) people.set(member.id, member)
    }
    const list = [...people.values()].sort((a, b) => a.name.localeCompare(b.name))
    fill(container,
      h('h2', { class: 'visually-hidden' }, t('presence.title')),
      h('span', { class: 'presence-count' }, t('presence.count', { n: list.length })),
      h('ul', { class: 'people' }, list.map((member) => h('li', {
        class: 'person',
        style: `--person: ${colourFor(member.id).colour}`,
        title: `${member.name} — ${member.organisation} (${member.country})`
      },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'name' }, member.name),
      h('span', { class: 'org' }, ` · ${member.organisation}, ${member.country}`)))))
  }
  awareness.on('change', render)
  render()
  return render
}
