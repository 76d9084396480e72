// "Never lose a word": which local changes the server has stored, from Palabre's save
// acknowledgements (message type 100 + varuint N: the first N document updates this
// connection sent are durable). Each local change is tied to the message that carried it;
// offline changes ride on the sync step 2 sent when the connection comes back.
// The count of unsaved characters, and since when the oldest of them waits, survive a reload
// (localStorage) while IndexedDB and the journal (journal.js) keep the changes themselves.
const UNASSIGNED = -1

export class SaveTracker {
  constructor (storage, key) {
    this.storage = storage
    this.key = key
    this.connection = 0
    this.sent = 0
    this.pending = []
    this.last = null
    this.connected = false
    this.synced = false
    this.listeners = new Set()
    const carried = Number(storage.getItem(key) || 0)
    const since = Number(storage.getItem(`${key}.since`) || 0) || Date.now()
    if (carried > 0) this.pending.push({ connection: UNASSIGNED, message: 0, weight: carried, at: since })
  }

  get unsaved () {
    return this.pending.reduce((sum, entry) => sum + entry.weight, 0)
  }

  // When the oldest change the server has not acknowledged was made (ms), or null. Changes
  // are pending in the order they were made, and acknowledged in that order.
  get oldestUnsaved () {
    return this.pending.length ? this.pending[0].at : null
  }

  // 'saved', 'saving' or 'offline'
  get state () {
    if (!this.connected) return 'offline'
    return this.unsaved > 0 || !this.synced ? 'saving' : 'saved'
  }

  onChange (listener) {
    this.listeners.add(listener)
    listener(this)
  }

  // One local change, weighing `weight` characters typed or erased.
  localChange (weight = 1) {
    this.last = { connection: UNASSIGNED, message: 0, weight, at: Date.now() }
    this.pending.push(this.last)
    this.changed()
  }

  opened () {
    this.connection += 1
    this.sent = 0
    for (const entry of this.pending) entry.connection = UNASSIGNED
  }

  // A document message left on the current connection: 'update' carries the latest local
  // change, 'step2' everything this browser has that the server lacked.
  sentMessage (kind) {
    this.sent += 1
    const assign = (entry) => {
      entry.connection = this.connection
      entry.message = this.sent
    }
    if (kind === 'step2') {
      this.pending.filter((e) => e.connection === UNASSIGNED).forEach(assign)
    } else if (this.last && this.last.connection === UNASSIGNED) {
      assign(this.last)
    }
    this.last = null
  }

  acknowledged (count) {
    const before = this.pending.length
    this.pending = this.pending.filter(
      (e) => !(e.connection === this.connection && e.message <= count)
    )
    if (this.pending.length !== before) this.changed()
  }

  setConnected (connected) {
    this.connected = connected
    if (!connected) this.synced = false
    this.changed()
  }

  setSynced (synced) {
    this.synced = synced
    this.changed()
  }

  changed () {
    // Runs inside the document's update listener: a full (or refused) localStorage must not
    // throw there, or the listeners after it (the one sending the change) would not run.
    // The count then survives a reload only as it last was; the page still shows it.
    try {
      this.storage.setItem(this.key, String(this.unsaved))
      const oldest = this.oldestUnsaved
      if (oldest === null) this.storage.removeItem(`${this.key}.since`)
      else this.storage.setItem(`${this.key}.since`, String(oldest))
    } catch (error) {
      console.warn('unsaved count not kept:', error)
    }
    for (const listener of this.listeners) listener(this)
  }
}
