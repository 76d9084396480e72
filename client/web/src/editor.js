// The editor: CodeMirror 6 with Markdown highlighting, bound to the shared Yjs text by
// y-codemirror.next (remote cursors and selections included). Read-only for observers, who
// can still move and select with the keyboard to comment; typing there shows why nothing
// happens. Commenters type in suggesting mode only (`extensions` brings it: suggesting.js).
// Passages with open comments are underlined; passages linked to an interview (sources) are
// marked too, each kind in its own layer.
import { EditorState, Compartment, Prec, StateEffect, StateField } from '@codemirror/state'
import {
  EditorView, keymap, drawSelection, highlightActiveLine, Decoration, placeholder
} from '@codemirror/view'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { LanguageSupport, syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language'
import { commonmarkLanguage, markdownKeymap, pasteURLAsLink } from '@codemirror/lang-markdown'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import * as Y from 'yjs'

// Markdown as `markdown()` of @codemirror/lang-markdown gives it (CommonMark, the keymap that
// continues lists and quotes, a URL pasted over a selection makes a link), without its
// default HTML sub-language: that one brings the HTML, CSS and JavaScript parsers (about
// 150 KB of the bundle, a third of it) for the odd tag typed in a référentiel.
function markdownSupport () {
  return new LanguageSupport(commonmarkLanguage, [pasteURLAsLink, Prec.high(keymap.of(markdownKeymap))])
}

// Decorations that follow edits until `set` gives new ones: `field` goes in the extensions.
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

// One layer of marked passages, all in one class.
function layer (className) {
  return { ...decorationLayer(), mark: Decoration.mark({ class: className }) }
}
const commented = layer('cm-commented')
const sourced = layer('cm-sourced')

export function createEditor ({
  parent, live, label, placeholderText, onChange, onUpdate, onRefused, extensions = []
}) {
  const editable = new Compartment()
  const undoManager = new Y.UndoManager(live.text)
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: live.text.toString(),
      extensions: [
        keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        drawSelection(),
        highlightActiveLine(),
        EditorView.lineWrapping,
        markdownSupport(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder(placeholderText),
        editable.of(EditorState.readOnly.of(false)),
        commented.field,
        sourced.field,
        EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged || update.selectionSet) onChange(update)
          onUpdate(update)
        }),
        // Read only: typing is refused, and said so, never silently ignored.
        EditorView.domEventHandlers({
          beforeinput: (_event, view) => { if (view.state.readOnly) onRefused() },
          paste: (_event, view) => { if (view.state.readOnly) onRefused() },
          drop: (_event, view) => { if (view.state.readOnly) onRefused() }
        }),
        ...extensions,
        yCollab(live.text, live.awareness, { undoManager })
      ]
    })
  })
  return {
    view,
    setReadOnly (readOnly) {
      view.dispatch({ effects: editable.reconfigure(EditorState.readOnly.of(readOnly)) })
    },
    markComments (ranges) { mark(view, commented, ranges) },
    markSources (ranges) { mark(view, sourced, ranges) },
    select (from, to) {
      view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true })
      view.focus()
    }
  }
}

function mark (view, kind, ranges) {
  const marks = ranges
    .filter((r) => r.from < r.to && r.to <= view.state.doc.length)
    .sort((a, b) => a.from - b.from)
    .map((r) => kind.mark.range(r.from, r.to))
  view.dispatch({ effects: kind.set.of(Decoration.set(marks, true)) })
}
