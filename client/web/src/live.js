// The live document: a Yjs doc kept in IndexedDB (edits survive a reload, even offline), each
// local change journaled synchronously until IndexedDB confirms it (journal.js: a navigation
// aborts IndexedDB writes in flight), and synchronised with the server by the stock
// y-websocket provider, with Palabre's save acknowledgements (?acks=1) read by one extra
// message handler. Unsaved work is counted in characters typed or erased, the unit a person
// recognises.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as decoding from 'lib0/decoding'
import { Journal } from './journal.js'
import { SaveTracker } from './status.js'

export const BODY = 'body' // the shared Markdown text (server/crdt.py)
const MESSAGE_SYNC = 0
const SYNC_STEP_2 = 1
const SYNC_UPDATE = 2
const MESSAGE_SAVED = 100
// y-protocols renews the local presence state every 15 s from a timer, which browsers slow to
// once a minute in a background tab: the others would drop the state after 30 s. The same
// renewal is also made on the traffic received (the server sends at least a keepalive every
// few seconds), which no browser slows down.
const RENEW_AFTER_MS = 15000
const CONNECT_ANYWAY_MS = 10000 // an IndexedDB that never answers does not keep the page offline
// The plain text is kept beside the document in IndexedDB (its 'custom' store) at each sync,
// 10 s after a change, and when the tab is hidden: a later visit shows it (early.js) while
// IndexedDB gives back the document itself, which takes seconds for a long one.
const TEXT_KEY = 'text'
const KEEP_TEXT_MS = 10000

// A WebSocket that tells the tracker which document messages it sends, and `received` when a
// message arrives.
function countingSocket (tracker, received) {
  return class CountingSocket extends WebSocket {
    constructor (url, protocols) {
      super(url, protocols)
      this.addEventListener('open', () => tracker.opened())
      this.addEventListener('message', received)
    }

    send (data) {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
      if (bytes[0] === MESSAGE_SYNC && (bytes[1] === SYNC_STEP_2 || bytes[1] === SYNC_UPDATE)) {
        tracker.sentMessage(bytes[1] === SYNC_STEP_2 ? 'step2' : 'update')
      }
      super.send(data)
    }
  }
}

export class LiveDocument {
  constructor ({ documentId, memberId, token, onClosed }) {
    this.doc = new Y.Doc()
    this.text = this.doc.getText(BODY)
    const name = `palabre-${documentId}-${memberId}`
    this.tracker = new SaveTracker(window.localStorage, `palabre.unsaved.${documentId}.${memberId}`)
    // Before anything else writes: what earlier pages journaled but IndexedDB never confirmed.
    this.journal = new Journal(window.localStorage, `palabre.journal.${documentId}.${memberId}.`, this.doc.clientID)
    this.journal.replay(this.doc)
    this.persistence = new IndexeddbPersistence(name, this.doc)
    this.persistence.whenSynced.then(() => this.journal.attach(this.persistence.db))
    // What a local change weighs: the characters it typed or erased (observers run before
    // the doc's 'update' event, which the provider sends right after this listener).
    let weight = 0
    this.text.observe((event) => {
      if (!event.transaction.local) return
      for (const op of event.delta) weight += op.insert ? op.insert.length : op.delete || 0
    })
    this.doc.on('update', (update, origin) => {
      if (origin !== this.provider && origin !== this.persistence && origin !== this.journal) {
        this.journal.add(update)
        this.tracker.localChange(Math.max(1, weight))
      }
      weight = 0
    })
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
    this.provider = new WebsocketProvider(`${scheme}//${window.location.host}/ws`, documentId,
      this.doc, {
        params: { token, acks: '1' },
        WebSocketPolyfill: countingSocket(this.tracker, () => this.renewPresence()),
        maxBackoffTime: 5000,
        disableBc: true,
        connect: false // below, once IndexedDB has given the kept text back
      })
    this.sendOwnPresenceOnly()
    this.provider.messageHandlers[MESSAGE_SAVED] = (_encoder, decoder) => {
      this.tracker.acknowledged(decoding.readVarUint(decoder))
    }
    this.provider.on('status', ({ status }) => this.tracker.setConnected(status === 'connected'))
    this.provider.on('sync', (synced) => this.tracker.setSynced(synced))
    this.tracker.onChange(() => { if (this.tracker.state === 'saved') this.journal.acknowledged() })
    this.provider.on('closed', (event) => onClosed && onClosed(event.code))
    this.awareness = this.provider.awareness
    // The socket opens once IndexedDB has given back what it kept (or after CONNECT_ANYWAY_MS
    // if it never does): opened before, its sync step 1 would ask the server for the whole
    // document again, and the kept text, arriving then as a change of this page, would be sent
    // up whole (a 100-page document: 2.8 MB, half a minute of a 256 kbit/s uplink).
    let started = false
    const start = () => { if (!started) { started = true; this.provider.connect() } }
    this.persistence.whenSynced.then(start)
    setTimeout(start, CONNECT_ANYWAY_MS)
    this.keepTextAfterChanges()
    // The browser knows first when the network goes: stop trying, and resume when it is back.
    window.addEventListener('offline', () => this.provider.disconnect())
    window.addEventListener('online', () => this.provider.connect())
  }

  // y-websocket 3.x sends back to the server every awareness change it receives, the others'
  // states included: in a meeting of 23 with cursors moving, that is most of what a member
  // uploads (about 75 bytes for each cursor move of each of the others, a tenth of a
  // 256 kbit/s uplink), and it gives the server a state that is not this page's to send.
  // The provider's own handler is kept, and given this client's changes only.
  sendOwnPresenceOnly () {
    const provider = this.provider
    const send = provider._awarenessUpdateHandler
    if (typeof send !== 'function') return // another y-websocket: its own handler stays
    const own = this.doc.clientID
    provider.awareness.off('update', send)
    provider.awareness.on('update', ({ added, updated, removed }, origin) => {
      const mine = (ids) => ids.filter((id) => id === own)
      const changes = { added: mine(added), updated: mine(updated), removed: mine(removed) }
      if (changes.added.length + changes.updated.length + changes.removed.length) send(changes, origin)
    })
  }

  keepTextAfterChanges () {
    let timer = null
    const keep = () => {
      clearTimeout(timer)
      timer = null
      this.persistence.set(TEXT_KEY, this.text.toString()).catch(() => {})
    }
    this.provider.on('sync', (synced) => { if (synced) keep() })
    this.text.observe(() => { if (timer === null) timer = setTimeout(keep, KEEP_TEXT_MS) })
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden' && timer !== null) keep()
    })
  }

  // The text as this browser last kept it (a string), or null.
  keptText () {
    return this.persistence.get(TEXT_KEY).then((text) => typeof text === 'string' ? text : null, () => null)
  }

  get unsaved () {
    return this.tracker.unsaved
  }

  renewPresence (now = Date.now()) {
    const awareness = this.provider && this.provider.awareness
    const state = awareness && awareness.getLocalState()
    const meta = state && awareness.meta.get(awareness.clientID)
    if (meta && now - meta.lastUpdated >= RENEW_AFTER_MS) awareness.setLocalState(state)
  }

  // Drop the socket and open a new one now (the provider would wait for its 30 s rule).
  reconnect () {
    this.provider.disconnect()
    this.provider.connect()
  }
}
