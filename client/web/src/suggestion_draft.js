// What a keystroke does in suggesting mode, as a pure function: the text never changes; the
// member's draft suggestion does. A draft is { from, to, replacement }: the passage [from, to)
// of the shared text (struck through on screen) and what it should become (shown after it,
// underlined, where the cursor stays).
//
// An edit is one replacement of [a, b) by `text`, in the text's own positions (a transaction
// with several changes, such as the toolbar's bold, is first joined into one: `joinChanges`).
// - typing inside the draft or at its edges adds to the replacement;
// - deleting just before the cursor (at the draft's end) takes back from the replacement
//   first, then strikes out more of the text;
// - deleting or typing over text that touches the draft widens its passage;
// - anything elsewhere starts a new draft (the previous one stays as it is).

// The edit as [a, b) of the old text replaced by `text`, from CodeMirror's changes.
export function joinChanges (changes, newDoc) {
  let a = Infinity
  let b = -Infinity
  let fromB = Infinity
  let toB = -Infinity
  changes.iterChanges((fromA, toA, from, to) => {
    a = Math.min(a, fromA)
    b = Math.max(b, toA)
    fromB = Math.min(fromB, from)
    toB = Math.max(toB, to)
  })
  if (a === Infinity) return null
  return { a, b, text: newDoc.sliceString(fromB, toB) }
}

function touches (draft, a, b) {
  return draft !== null && a <= draft.to && b >= draft.from
}

// Drop the last `count` characters (code points, so an emoji goes whole).
function dropLast (text, count) {
  const points = Array.from(text)
  return points.slice(0, Math.max(0, points.length - count)).join('')
}

// The draft after the edit, and whether it is a new one (the previous draft is finished).
export function applyEdit (draft, { a, b, text }) {
  if (!touches(draft, a, b)) {
    return { draft: { from: a, to: b, replacement: text }, fresh: true }
  }
  if (!text && b === draft.to && a < b && draft.replacement) {
    return {
      draft: { ...draft, replacement: dropLast(draft.replacement, b - a) },
      fresh: false
    }
  }
  return {
    draft: {
      from: Math.min(draft.from, a),
      to: Math.max(draft.to, b),
      replacement: draft.replacement + text
    },
    fresh: false
  }
}

// A draft that changes nothing (everything typed was taken back) is no suggestion.
export function isEmpty (draft, quote) {
  return draft.replacement === quote
}
