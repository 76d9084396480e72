// The text before the live document (issue 13). On a first visit through a weak link the
// live document arrives last: the websocket's handshake, the sync's round trip, then the
// whole CRDT state (2.8 MB for a 100-page référentiel, 895 KB on the wire: 7 s at 1 Mbit/s).
// So a page that holds nothing of the document yet (nothing kept from an earlier visit) asks
// for the current text over HTTP (`GET .../text`, compressed) beside who the member is, and
// shows it read only with the editor's look until the live document has synced; then the
// editor takes the reader's place in the same frame (the same text at the same height: the
// page does not move; a selection made in the reader is carried over). Nothing can be typed
// before: typing flashes the note that says the text is on its way, and the editor takes
// keystrokes only once it holds the whole document, so nothing typed is lost or misplaced.
// A page that kept the document from an earlier visit (IndexedDB) opens the editor at once.
import { documentPath } from './api.js'
import { createReader } from './editor.js'

// The current text, or null (refused, no network: the live document will say why).
export function fetchText (api, documentId) {
  return api.text(documentPath(documentId, '/text')).catch(() => null)
}

export class EarlyText {
  // `editor` is made hidden by the page and shown here; `note` says why typing does nothing.
  constructor ({ box, editor, live, note, label }) {
    Object.assign(this, { box, editor, live, note, label })
    this.reader = null
    this.done = false
    editor.view.dom.style.display = 'none' // CodeMirror's own style sets display: hidden would not do
    const synced = (state) => { if (state) { live.provider.off('sync', synced); this.finish() } }
    live.provider.on('sync', synced)
    synced(live.provider.synced)
    live.persistence.whenSynced.then(() => { if (live.text.length > 0) this.finish() })
  }

  // Show `text` read only, unless the editor already took over or holds text (from IndexedDB).
  show (text) {
    if (this.done || text === null) return
    if (this.live.text.length > 0) return this.finish()
    this.reader = createReader({ parent: this.box, text, label: this.label, onRefused: () => this.refused() })
    this.note.hidden = false
  }

  refused () {
    this.note.classList.remove('flash')
    void this.note.offsetWidth // restart the animation
    this.note.classList.add('flash')
  }

  finish () {
    if (this.done) return
    this.done = true
    const reader = this.reader
    this.editor.view.dom.style.display = ''
    if (reader) {
      const { main } = reader.state.selection
      const length = this.editor.view.state.doc.length
      if (reader.hasFocus && main.to <= length) {
        this.editor.view.dispatch({ selection: { anchor: main.anchor, head: main.head } })
        this.editor.view.focus()
      }
      reader.destroy()
      this.reader = null
    }
    this.note.hidden = true
  }
}
