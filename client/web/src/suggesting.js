// Suggesting mode in CodeMirror: while it is on, what the member types, deletes or pastes
// never reaches the shared text. A transaction filter takes each change the member makes
// (not those y-codemirror applies for others) and hands it to `onEdit`, which turns it into
// their draft suggestion and says where the cursor goes; the transaction keeps only that
// cursor move. Undo and redo are held too, so they cannot change the text behind the
// member's back. Suggestions are drawn inline: the passage struck through, the replacement
// underlined after it, in the author's colour.
import { EditorState, Prec } from '@codemirror/state'
import { Decoration, EditorView, WidgetType, keymap } from '@codemirror/view'
import { ySyncAnnotation } from 'y-codemirror.next'
import { decorationLayer } from './editor.js'
import { joinChanges } from './suggestion_draft.js'

const { set: setSuggestionMarks, field: marks } = decorationLayer()
export { setSuggestionMarks }

class Insertion extends WidgetType {
  constructor (text, colour, id, conflict) {
    super()
    Object.assign(this, { text, colour, id, conflict })
  }

  eq (other) {
    return other.text === this.text && other.colour === this.colour && other.id === this.id &&
      other.conflict === this.conflict
  }

  toDOM () {
    const span = document.createElement('span')
    span.className = `cm-suggested-insertion${this.conflict ? ' cm-suggestion-conflict' : ''}`
    span.style.setProperty('--person', this.colour)
    span.dataset.suggestion = this.id
    span.textContent = this.text
    return span
  }

  ignoreEvent () { return false }
}

// Decorations for suggestions placed in the text: { id, from, to, replacement, colour, conflict }.
export function suggestionMarks (items, length) {
  const ranges = []
  for (const item of items) {
    if (item.from > item.to || item.to > length) continue
    const conflict = item.conflict ? ' cm-suggestion-conflict' : ''
    const attributes = { style: `--person: ${item.colour}`, 'data-suggestion': item.id }
    if (item.from < item.to) {
      ranges.push(Decoration.mark({ class: `cm-suggested-deletion${conflict}`, attributes })
        .range(item.from, item.to))
    }
    if (item.replacement) {
      const widget = new Insertion(item.replacement, item.colour, item.id, item.conflict)
      ranges.push(Decoration.widget({ widget, side: -1 }).range(item.to))
    }
  }
  return Decoration.set(ranges, true)
}

// `isOn()` says whether suggesting mode is on; `onEdit({a, b, text}, state)` records the edit
// and returns the cursor position, or null to let nothing happen.
export function suggesting ({ isOn, onEdit }) {
  const held = () => isOn()
  return [
    marks,
    EditorState.transactionFilter.of((transaction) => {
      if (!transaction.docChanged || !isOn() || transaction.annotation(ySyncAnnotation)) {
        return transaction
      }
      const edit = joinChanges(transaction.changes, transaction.newDoc)
      const cursor = edit ? onEdit(edit, transaction.startState) : null
      const spec = { scrollIntoView: true }
      if (cursor !== null) spec.selection = { anchor: cursor }
      return spec
    }),
    Prec.highest(keymap.of([
      { key: 'Mod-z', run: held },
      { key: 'Mod-y', run: held },
      { key: 'Mod-Shift-z', run: held }
    ])),
    Prec.highest(EditorView.domEventHandlers({
      beforeinput (event) {
        if (!isOn() || !/^history/.test(event.inputType)) return false
        event.preventDefault()
        return true
      }
    }))
  ]
}
