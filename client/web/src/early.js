// The text before the live document (issue 13). On a first visit through a weak link the
// live document arrives last: the websocket's handshake, the sync's round trip, then the
// whole CRDT state (2.8 MB for a 100-page référentiel, 895 KB on the wire: 7 s at 1 Mbit/s).
// So a page that holds nothing of the document yet (nothing kept from an earlier visit) asks
// for the current text over HTTP (`GET .../text`, compressed; boot.js starts it beside who
// the member is) and shows it as plain text in the editor's font and size, read only, until
// the live document has synced; then the editor takes the reader's place in the same frame
// (the same text in the same lines: the page does not move). Nothing can be typed before:
// the reader is not editable, and a key pressed in it flashes the note that says the text is
// still loading; the editor, hidden until then, takes keystrokes only once it holds the
// whole document, so nothing typed is lost or lands in a half-synced text.
// A page that kept the document from an earlier visit (IndexedDB) asks for nothing: it shows
// the plain text it kept beside it (live.js), the same way, until IndexedDB has given back the
// document itself (2.8 MB for 100 pages: seconds), then opens the editor.
import { EditorView } from '@codemirror/view'
import { h } from './dom.js'
import { documentPath } from './api.js'

// The current text, or null (refused, no network: the live document will say why).
export function fetchText (api, documentId) {
  return api.text(documentPath(documentId, '/text')).catch(() => null)
}

// Keys that would type or erase (not those that move, select or copy).
function typing (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return event.key === 'v' || event.key === 'x'
  return event.key.length === 1 || ['Enter', 'Backspace', 'Delete', 'Tab'].includes(event.key)
}

export class EarlyText {
  // `editor` is hidden here until the live document has synced; `note` says why typing does
  // nothing meanwhile.
  constructor ({ box, editor, live, note, label }) {
    Object.assign(this, { box, editor, live, note, label })
    this.reader = null
    this.done = false
    // CodeMirror's own style sets `display: flex !important`: only this hides it.
    editor.view.dom.style.setProperty('display', 'none', 'important')
    const synced = (state) => { if (state) { live.provider.off('sync', synced); this.finish() } }
    live.provider.on('sync', synced)
    synced(live.provider.synced)
    live.persistence.whenSynced.then(() => { if (live.text.length > 0) this.finish() })
  }

  // Show `text` read only, unless the editor already took over or holds text (IndexedDB);
  // with the note that says why typing does nothing, or (`note: false`) that note only when
  // a key is refused.
  show (text, { note = true } = {}) {
    if (this.done || text === null) return
    if (this.live.text.length > 0) return this.finish()
    const refuse = (event) => { if (event.type === 'paste' || typing(event)) this.refused(event) }
    this.reader = h('div', {
      class: 'reader',
      role: 'textbox',
      tabindex: '0',
      'aria-readonly': 'true',
      'aria-multiline': 'true',
      'aria-label': this.label,
      onkeydown: refuse,
      onpaste: refuse
    }, text)
    this.box.append(this.reader)
    this.note.hidden = !note
  }

  refused (event) {
    event.preventDefault()
    this.note.hidden = false
    this.note.classList.remove('flash')
    void this.note.offsetWidth // restart the animation
    this.note.classList.add('flash')
  }

  // Where the reader is read: the first character from a third of the way down the window,
  // and the top of its row (null when the reader is not there).
  readingAt () {
    const box = this.reader.getBoundingClientRect()
    for (let y = Math.max(box.top, window.innerHeight / 3); y < Math.min(box.bottom, window.innerHeight); y += 4) {
      const found = this.characterAt(box.left + 8, y)
      if (found) return found
    }
    return null
  }

  characterAt (x, y) {
    const caret = document.caretPositionFromPoint
      ? document.caretPositionFromPoint(x, y)
      : document.caretRangeFromPoint && document.caretRangeFromPoint(x, y)
    if (!caret) return null
    const node = caret.offsetNode || caret.startContainer
    const offset = caret.offsetNode ? caret.offset : caret.startOffset
    if (!this.reader.contains(node) || node.nodeType !== Node.TEXT_NODE) return null
    if (offset >= node.length || node.data[offset] === '\n') return null
    const range = document.createRange()
    range.setStart(node, offset)
    range.setEnd(node, offset + 1)
    const row = range.getBoundingClientRect()
    return row.height > 0 ? { position: offset, top: row.top } : null
  }

  // CodeMirror draws the lines near the position first (heights elsewhere are estimates),
  // then the page is moved by what is left, measured, for at most a few frames.
  keepReading ({ position, top }, frames = 10) {
    const view = this.editor.view
    view.dispatch({ effects: EditorView.scrollIntoView(position, { y: 'start', yMargin: top }) })
    const settle = (left) => {
      const at = view.coordsAtPos(position)
      if (at && Math.abs(at.top - top) >= 1) window.scrollBy(0, at.top - top)
      if (left > 1) requestAnimationFrame(() => settle(left - 1))
    }
    requestAnimationFrame(() => settle(frames))
  }

  finish () {
    if (this.done) return
    this.done = true
    const view = this.editor.view
    const hadFocus = this.reader !== null && document.activeElement === this.reader
    const reading = this.reader && this.readingAt()
    if (this.reader) this.reader.remove()
    this.reader = null
    view.dom.style.removeProperty('display')
    this.note.hidden = true
    // The editor's lines are placed where the reader's were (before the next paint); below
    // the visible ones CodeMirror estimates heights, so the page alone would not keep them.
    if (reading && reading.position <= view.state.doc.length) this.keepReading(reading)
    if (hadFocus) view.focus()
  }
}
