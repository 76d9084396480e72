// The local changes IndexedDB has not confirmed yet, kept synchronously in localStorage.
// y-indexeddb writes each update in its own asynchronous IndexedDB transaction, and a
// navigation (a reload, a closed tab, a crashed tab) aborts the ones still in flight: the last
// words typed would be gone while the unsaved count (localStorage) still counted them. So each
// local update is also merged (Y.mergeUpdates) into this journal before anything can navigate;
// the journal writes itself into y-indexeddb's store in its own transaction, one at a time,
// and forgets what a transaction confirmed. It is emptied too when the server has
// acknowledged every local change (what keeps it small when IndexedDB is unusable). On load,
// every journal of this document and member (this page's earlier life, or another tab's) is
// replayed into the doc and adopted: it stays in localStorage under this page's key until
// IndexedDB confirms it.
//
// Crash: a navigation or a crashed tab leaves the journal in localStorage, replayed on the
// next load (Yjs updates are idempotent: replaying what IndexedDB holds too changes nothing).
// localStorage lives in the browser's own process, which writes it to disk about 5 s later, so
// a whole browser killed within those seconds can lose it; IndexedDB has normally confirmed
// the write long before. localStorage full, or a journal over MAX_CHARS (IndexedDB unusable
// through a long offline session): the journal keeps its last stored value (an older, valid
// part) and the changes still reach IndexedDB and the server as before; only an abrupt
// navigation before IndexedDB confirms them can then lose the newest. A journal that cannot be
// read is dropped.
import * as Y from 'yjs'
import { toBase64, fromBase64 } from 'lib0/buffer'

export const MAX_CHARS = 262144 // base64: about 190 KB of updates, 190,000 characters typed
const STORE = 'updates' // y-indexeddb's store of updates

const merge = (...updates) => {
  const present = updates.filter((update) => update !== null)
  if (present.length === 0) return null
  return present.length === 1 ? present[0] : Y.mergeUpdates(present)
}

export class Journal {
  // `prefix` names the journals of one document and member; `id` this page's own.
  constructor (storage, prefix, id) {
    this.storage = storage
    this.prefix = prefix
    this.key = `${prefix}${id}`
    this.fresh = null // local changes not handed to IndexedDB yet, merged
    this.flushing = null // the part an IndexedDB transaction is writing now
    this.db = null
  }

  // Apply every journal left by an earlier page to `doc` (origin: this journal) and keep
  // what applied under this page's key; the others' keys go once it is kept.
  replay (doc) {
    const keys = []
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i)
      if (key !== null && key.startsWith(this.prefix) && key !== this.key) keys.push(key)
    }
    const applied = keys.filter((key) => {
      const value = this.storage.getItem(key)
      if (value === null) return false // its tab took it back meanwhile
      try {
        const update = fromBase64(value)
        Y.applyUpdate(doc, update, this)
        this.fresh = merge(this.fresh, update)
        return true
      } catch (_) { // unreadable
        this.storage.removeItem(key)
        return false
      }
    })
    if (this.persist()) for (const key of applied) this.storage.removeItem(key)
  }

  // One local change (a Yjs update), kept before this call returns.
  add (update) {
    this.fresh = merge(this.fresh, update)
    this.persist()
    this.flush()
  }

  // y-indexeddb's database is open: the journal can write into it.
  attach (db) {
    this.db = db
    this.flush()
  }

  // The server has stored every local change.
  acknowledged () {
    if (this.fresh === null) return
    this.fresh = null
    this.persist()
  }

  // Store what is not confirmed yet under this page's key; false when localStorage refuses.
  persist () {
    const whole = merge(this.flushing, this.fresh)
    if (whole === null) {
      this.storage.removeItem(this.key)
      return true
    }
    const value = toBase64(whole)
    if (value.length > MAX_CHARS) return false
    try {
      this.storage.setItem(this.key, value)
      return true
    } catch (_) { // QuotaExceededError
      return false
    }
  }

  flush () {
    if (this.flushing !== null || this.fresh === null || this.db === null) return
    this.flushing = this.fresh
    this.fresh = null
    try {
      const transaction = this.db.transaction([STORE], 'readwrite')
      transaction.objectStore(STORE).add(this.flushing)
      transaction.oncomplete = () => this.written()
      transaction.onabort = () => this.failed()
    } catch (_) { // the database was closed (another version opened it)
      this.failed()
    }
  }

  written () {
    this.flushing = null
    this.persist()
    this.flush()
  }

  // Still in localStorage: the next change tries again.
  failed () {
    this.fresh = merge(this.flushing, this.fresh)
    this.flushing = null
  }
}
