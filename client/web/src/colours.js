// Colours for people and organisations. One palette of 30 colours chosen far apart (any two
// differ by at least 11 in CIEDE2000, their pale tints by at least 6), each with a pale tint
// for backgrounds and the ink that reads on it. Colours are assigned from the document's
// member list, which every page reads alike: each member's preferred colour comes from their
// id, and a colour already taken goes to the next free one, in the list's order. So up to 30
// people never share a colour, and the same person has the same colour on every screen, in
// the presence list, on their cursor, in the history's sessions and in "By author".
// Organisations get colours the same way, from their ids.
const PALETTE = [
  ['#1161bb', '#b3cce9', '#ffffff'],
  ['#aeb414', '#e5e7b4', '#1b1f24'],
  ['#bb0522', '#e9afb8', '#ffffff'],
  ['#15aa8f', '#b4e4db', '#1b1f24'],
  ['#d59c7f', '#f2dfd6', '#1b1f24'],
  ['#c18ffc', '#ebdbfe', '#1b1f24'],
  ['#405522', '#c2c9b8', '#ffffff'],
  ['#79028e', '#d4aedb', '#ffffff'],
  ['#6b3a58', '#d0c0c9', '#ffffff'],
  ['#47c94e', '#c4eec6', '#1b1f24'],
  ['#70b6d0', '#d1e8f0', '#1b1f24'],
  ['#2f34b7', '#bcbee8', '#ffffff'],
  ['#f25914', '#fbcab4', '#1b1f24'],
  ['#ef911d', '#fadcb7', '#1b1f24'],
  ['#fa7ba7', '#fdd5e3', '#1b1f24'],
  ['#99a8de', '#dee3f4', '#1b1f24'],
  ['#684512', '#cfc3b3', '#ffffff'],
  ['#baab70', '#e9e4d1', '#1b1f24'],
  ['#85ba92', '#d8e9dc', '#1b1f24'],
  ['#81300f', '#d7bdb2', '#ffffff'],
  ['#00566d', '#adc9d0', '#ffffff'],
  ['#cc98be', '#efdeea', '#1b1f24'],
  ['#454778', '#c3c4d4', '#ffffff'],
  ['#d2736e', '#f0d2d1', '#1b1f24'],
  ['#0d5b45', '#b2cac3', '#ffffff'],
  ['#c53897', '#ecbfde', '#ffffff'],
  ['#9f7100', '#e0d1ae', '#1b1f24'],
  ['#5b6c00', '#cbd0ad', '#ffffff'],
  ['#d7371d', '#f2bfb7', '#ffffff'],
  ['#8184f1', '#d7d8fb', '#1b1f24']
].map(([colour, light, ink]) => ({ colour, light, ink }))

function hash (key) {
  let value = 0
  for (const char of String(key)) value = (value * 31 + char.codePointAt(0)) >>> 0
  return value
}

function fallback (key) {
  return PALETTE[hash(key) % PALETTE.length]
}

// ids, in the list's order -> palette entries, distinct while there are colours left.
function assign (ids) {
  const taken = new Set()
  const found = new Map()
  for (const id of ids) {
    let index = hash(id) % PALETTE.length
    for (let tries = 0; tries < PALETTE.length && taken.has(index); tries++) index = (index + 1) % PALETTE.length
    taken.add(index)
    found.set(id, PALETTE[index])
  }
  return found
}

export class Colours {
  constructor () {
    this.setMembers([])
  }

  // The document's members, as GET .../members lists them (the same order for everyone).
  setMembers (members) {
    this.list = members
    this.members = assign(members.map((m) => m.id))
    const organisations = [...new Set(members.map((m) => m.organisation_id))]
    this.organisations = assign(organisations)
    this.memberNames = new Map(members.map((m) => [m.name, m.id]))
    this.organisationNames = new Map(members.map((m) => [m.organisation, m.organisation_id]))
  }

  member (id) { return this.members.get(id) || fallback(id) }
  organisation (id) { return this.organisations.get(id) || fallback(id) }
  // The history's authorship names people and organisations: their colours by name.
  memberNamed (name) { return this.member(this.memberNames.get(name) || name) }
  organisationNamed (name) { return this.organisation(this.organisationNames.get(name) || name) }
}

export const PALETTE_SIZE = PALETTE.length
