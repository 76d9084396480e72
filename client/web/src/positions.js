// Yjs relative positions as the HTTP API carries them (anchors of comments, suggestions and
// links to sources): the bytes of `Y.encodeRelativePosition`, in base64.
import * as Y from 'yjs'

export function encodePosition (position) {
  let binary = ''
  for (const byte of Y.encodeRelativePosition(position)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export function decodePosition (text) {
  return Y.decodeRelativePosition(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)))
}

// Where the passage from `start` to `end` (relative positions, or as the API carries them)
// stands now in `doc`: { from, to }, or null when either end is gone or they cross. An empty
// passage (an insertion point) counts only with `empty`.
export function placeRange (start, end, doc, { empty = false } = {}) {
  const absolute = (position) => Y.createAbsolutePositionFromRelativePosition(
    typeof position === 'string' ? decodePosition(position) : position, doc)
  const from = absolute(start)
  const to = absolute(end)
  if (!from || !to || to.index < from.index || (to.index === from.index && !empty)) return null
  return { from: from.index, to: to.index }
}
