// Passages anchored in the shared text with Yjs relative positions, so they follow the text
// as people type: comments, suggestions and links to interviews hold them, the server keeps
// them as base64 (`anchor: {start, end}`). The end sticks to the passage's last character.
import * as Y from 'yjs'

function toBase64 (bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64 (text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

// The relative positions of the passage [from, to) of `ytext`.
export function relativeRange (ytext, from, to) {
  return {
    start: Y.createRelativePositionFromTypeIndex(ytext, from),
    end: Y.createRelativePositionFromTypeIndex(ytext, to, -1)
  }
}

// Relative positions as the server stores an anchor.
export function encodeAnchor ({ start, end }) {
  return {
    start: toBase64(Y.encodeRelativePosition(start)),
    end: toBase64(Y.encodeRelativePosition(end))
  }
}

// One stored position, as a Yjs relative position.
export function decodePosition (encoded) {
  return Y.decodeRelativePosition(fromBase64(encoded))
}

// Where a stored anchor's passage stands now in `doc`: {from, to}, or null once its text is
// gone.
export function anchorRange (anchor, doc) {
  const start = Y.createAbsolutePositionFromRelativePosition(decodePosition(anchor.start), doc)
  const end = Y.createAbsolutePositionFromRelativePosition(decodePosition(anchor.end), doc)
  if (!start || !end || end.index <= start.index) return null
  return { from: start.index, to: end.index }
}
