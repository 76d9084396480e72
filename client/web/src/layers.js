// A layer of decorations over the editor's text (passages with comments, with sources, the
// suggestions drawn inline): set as a whole by its effect, its ranges follow the edits made
// meanwhile until it is set again.
import { StateEffect, StateField } from '@codemirror/state'
import { Decoration, EditorView } from '@codemirror/view'

export function decorationLayer () {
  const set = StateEffect.define()
  const field = StateField.define({
    create: () => Decoration.none,
    update (value, transaction) {
      value = value.map(transaction.changes)
      for (const effect of transaction.effects) {
        if (effect.is(set)) value = effect.value
      }
      return value
    },
    provide: (f) => EditorView.decorations.from(f)
  })
  return { set, field }
}
