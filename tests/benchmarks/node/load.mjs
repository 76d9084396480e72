// Stock y-websocket clients for the live benchmark (tests/benchmarks/live.py), in Node, set up
// as a browser sets them up: the unmodified `y-websocket` provider over the `ws` package with
// permessage-deflate offered (browsers always offer it; whether it is used is the server's
// choice, and every handshake's answer is recorded), awareness on (a user and a cursor; with
// `cursor_moves` the writers move theirs at each edit, as an editor does, which doubles the
// messages), reconnection on, and the provider's own 30-second liveness rule, as shipped.
//
//   node load.mjs fanout|ingest|joins|restart|type   (one JSON configuration line on stdin)
//
// Each mode prints JSON lines on stdout: {"event": ...} while it runs, then one {"result": ...}.
// A client is {"server": "ws://127.0.0.1:PORT/ws", "room": "DOCUMENT", "params": {...}}: the
// provider opens `${server}/${room}?${params}`, as it does in a browser.
//
// fanout   {clients, writers, rate, seconds, cursor_moves, timeout}: every client joins; the first `writers`
//          insert one letter at a random place `rate` times a second for `seconds`; the
//          latency of a delivery is from the writer's insert to the moment another client's
//          document holds it (the item's (client, clock) seen in a remote transaction), over
//          every (edit, other client) pair. Result: percentiles, lost deliveries, the final
//          text's length and SHA-256, handshakes that negotiated compression, reconnections.
//          A client may name its `group` ("good", "weak"...): the result then also holds the
//          percentiles and deliveries of each "writer group->reader group" pair.
// ingest   {writer, observer, trace, follow, timeout}: one client types every transaction of
//          the trace (one Yjs transaction each, yielding to the event loop every 500) into an
//          empty document as fast as it can; "visible" is when a client that joins after the
//          last edit was handed to the socket (or, with `follow`, a client connected
//          throughout) holds the final text.
// joins    {client, length, sha256, runs, pause_ms, hold, timeout}: clients join one after
//          another (with `hold`, while one more client stays connected); each time is from
//          opening the socket to the provider's first sync holding the text.
// type     {writer, traces, timeout}: one client types each trace after the end of the text so
//          far (its positions shifted by the length before it), as fast as it can; after each
//          it prints {"event":"typed", ...} and waits for the stdin line "next".
// restart  {clients, length, sha256, timeout}: the clients join and print {"event":"ready"};
//          on the stdin line "stop" the clock starts (the harness then restarts the server);
//          the result is when every client had reconnected and synced again.
//
// Why one file of over 400 lines: it is one script, run as one process per measurement, with
// one mode per measurement that share its client set-up and statistics.

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { gunzipSync } from 'node:zlib'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

process.setMaxListeners(0) // each awareness instance listens for the process's exit

const print = (message) => process.stdout.write(JSON.stringify(message) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'

// Close codes the clients' sockets saw (a server's refusals, the provider's own 30-second rule).
const closeCodes = {}

// The handshakes' answers: which extensions the server accepted.
const handshakes = { total: 0, deflate: 0, answers: new Set() }

/** The `ws` client as a browser's WebSocket behaves: permessage-deflate offered. */
class BrowserLikeWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { perMessageDeflate: true })
    this.on('upgrade', (response) => {
      const answer = String(response.headers['sec-websocket-extensions'] ?? '')
      handshakes.total++
      if (answer.includes('permessage-deflate')) handshakes.deflate++
      handshakes.answers.add(answer || '(none)')
    })
  }
}

/** A deterministic random source, so that two servers get the same edits. */
const seeded = (seed) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

class Client {
  constructor ({ server, room, params = {} }, name) {
    this.doc = new Y.Doc()
    this.text = this.doc.getText('body')
    this.closes = 0
    this.provider = new WebsocketProvider(server, room, this.doc, {
      params,
      WebSocketPolyfill: BrowserLikeWebSocket,
      disableBc: true
    })
    this.provider.on('connection-close', (event) => {
      if (!event) return
      this.closes++
      closeCodes[event.code] = (closeCodes[event.code] ?? 0) + 1
    })
    this.provider.awareness.setLocalStateField('user', { name, color: '#30bced' })
    this.moveCursor(0)
  }

  /** Resolves once the provider has synced (now or later). */
  synced (timeoutMs) {
    if (this.provider.synced) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sync timed out')), timeoutMs)
      const onSync = (state) => {
        if (!state) return
        clearTimeout(timer)
        this.provider.off('sync', onSync)
        resolve()
      }
      this.provider.on('sync', onSync)
    })
  }

  /** Where the cursor is, as y-codemirror publishes it (relative positions as JSON). */
  moveCursor (index) {
    const position = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(this.text, index))
    this.provider.awareness.setLocalStateField('cursor', { anchor: position, head: position })
  }

  destroy () {
    this.provider.destroy()
    this.doc.destroy()
  }
}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex')

const percentile = (sorted, fraction) => {
  if (sorted.length === 0) return null
  const rank = Math.max(0, Math.min(sorted.length - 1, Math.round(fraction * sorted.length + 0.5) - 1))
  return sorted[rank]
}

const connectAll = async (specs, timeoutMs) => {
  const first = new Client(specs[0], 'Client 0')
  await first.synced(timeoutMs) // the room exists before the crowd arrives
  const rest = specs.slice(1).map((spec, i) => new Client(spec, `Client ${i + 1}`))
  await Promise.all(rest.map((client) => client.synced(timeoutMs)))
  return [first, ...rest]
}

const usage = (started) => {
  const cpu = process.cpuUsage(started.cpu)
  const wall = performance.now() - started.wall
  return (cpu.user + cpu.system) / 1000 / wall
}

// Fan-out --------------------------------------------------------------------------------------

const fanout = async ({ clients: specs, writers, rate, seconds, cursor_moves: cursorMoves, timeout }) => {
  const timeoutMs = timeout * 1000
  const clients = await connectAll(specs, timeoutMs)
  print({ event: 'connected', clients: clients.length })
  const sent = new Map() // "client:clock" -> { at, writer, received }
  const latencies = []
  const byPair = new Map() // "writer group->reader group" -> latencies
  let expected = null
  let done = () => {}
  const complete = new Promise((resolve) => { done = resolve })
  clients.forEach((client, index) => {
    client.doc.on('afterTransaction', (transaction) => {
      if (transaction.origin !== client.provider) return // local edits
      const now = performance.now()
      transaction.afterState.forEach((after, id) => {
        for (let clock = transaction.beforeState.get(id) ?? 0; clock < after; clock++) {
          const edit = sent.get(`${id}:${clock}`)
          if (edit === undefined || edit.writer === index) continue
          latencies.push(now - edit.at)
          edit.received++
          const pair = `${specs[edit.writer].group}->${specs[index].group}`
          if (!byPair.has(pair)) byPair.set(pair, [])
          byPair.get(pair).push(now - edit.at)
        }
      })
      if (expected !== null && latencies.length >= expected) done()
    })
  })
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const started = { cpu: process.cpuUsage(), wall: performance.now() }
  const start = performance.now() + 500
  const interval = 1000 / rate
  const write = async (client, index) => {
    const random = seeded(index + 1)
    for (let k = 0; k < Math.round(rate * seconds); k++) {
      const delay = start + interval * index / writers + k * interval - performance.now()
      if (delay > 0) await sleep(delay)
      const at = Math.floor(random() * (client.text.length + 1))
      const clock = Y.getState(client.doc.store, client.doc.clientID)
      sent.set(`${client.doc.clientID}:${clock}`, { at: performance.now(), writer: index, received: 0 })
      client.text.insert(at, LETTERS[Math.floor(random() * LETTERS.length)])
      if (cursorMoves) client.moveCursor(at + 1)
    }
  }
  await Promise.all(clients.slice(0, writers).map(write))
  const lastSend = performance.now()
  expected = sent.size * (clients.length - 1)
  if (latencies.length >= expected) done()
  await Promise.race([complete, sleep(timeoutMs)])
  const drained = (performance.now() - lastSend) / 1000
  const cpu = usage(started)
  loop.disable()
  latencies.sort((a, b) => a - b)
  const reference = clients[0].text.toString()
  const result = {
    clients: clients.length,
    writers,
    updates: sent.size,
    expected,
    delivered: latencies.length,
    converged: clients.every((client) => client.text.toString() === reference),
    length: reference.length,
    sha256: sha256(reference),
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: percentile(latencies, 1),
    drain_seconds: drained,
    reconnections: clients.reduce((sum, client) => sum + client.closes, 0),
    close_codes: closeCodes,
    load_cpu: cpu, // cores used by this process during the load
    event_loop_p99_ms: loop.percentile(99) / 1e6,
    groups: groupStats(specs, writers, sent, byPair)
  }
  clients.forEach((client) => client.destroy())
  return result
}

/** Per "writer group->reader group": deliveries expected and made, and percentiles. */
const groupStats = (specs, writers, sent, byPair) => {
  const sizes = new Map()
  for (const spec of specs) sizes.set(spec.group, (sizes.get(spec.group) ?? 0) + 1)
  const groups = {}
  for (const [pair, values] of byPair) {
    const [from, to] = pair.split('->')
    const edits = [...sent.values()].filter((edit) => specs[edit.writer].group === from).length
    values.sort((a, b) => a - b)
    groups[pair] = {
      expected: edits * (sizes.get(to) - (from === to ? 1 : 0)),
      delivered: values.length,
      p50: percentile(values, 0.5),
      p95: percentile(values, 0.95),
      p99: percentile(values, 0.99),
      max: percentile(values, 1)
    }
  }
  return groups
}

// Ingest ---------------------------------------------------------------------------------------

const loadTrace = (path) => {
  const trace = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'))
  // Positions count code points; Y.Text counts UTF-16 units: equal without astral characters.
  if ([...trace.endContent].length !== trace.endContent.length) {
    throw new Error('the trace holds characters outside the BMP: positions need converting')
  }
  return trace
}

const typeTrace = async (client, trace, base = 0) => {
  let count = 0
  for (const txn of trace.txns) {
    client.doc.transact(() => {
      for (const [position, deleted, inserted] of txn.patches) {
        if (deleted) client.text.delete(base + position, deleted)
        if (inserted) client.text.insert(base + position, inserted)
      }
    })
    if (++count % 500 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  // Handed to the socket: wait until the socket has written it all.
  while (client.provider.ws && client.provider.ws.bufferedAmount > 0) await sleep(1)
  return count
}

const holds = (client, length, digest) =>
  client.text.length === length && sha256(client.text.toString()) === digest

const whenHolding = (client, length, digest, deadline) => new Promise((resolve) => {
  const check = () => {
    if (client.text.length !== length || !holds(client, length, digest)) return
    clearTimeout(timer)
    client.text.unobserve(check)
    resolve(performance.now())
  }
  const timer = setTimeout(() => {
    client.text.unobserve(check)
    resolve(null)
  }, Math.max(0, deadline - performance.now()))
  client.text.observe(check)
  check()
})

/** Clients join one after another until one's first sync holds the text; each leaves. */
const pollJoins = async (spec, length, digest, deadline) => {
  const syncs = []
  while (performance.now() < deadline) {
    const opened = performance.now()
    const client = new Client(spec, 'Observer')
    try {
      await client.synced(Math.max(1, deadline - opened))
      syncs.push(performance.now() - opened)
      if (holds(client, length, digest)) return { seen: performance.now(), syncs }
    } catch {
      break
    } finally {
      client.destroy()
    }
    await sleep(50)
  }
  return { seen: null, syncs }
}

const ingest = async ({ writer: writerSpec, observer: observerSpec, trace: path, follow, timeout }) => {
  const trace = loadTrace(path)
  const length = trace.endContent.length
  const digest = sha256(trace.endContent)
  const writer = new Client(writerSpec, 'Replayer')
  await writer.synced(timeout * 1000)
  let follower = null
  if (follow) {
    follower = new Client(observerSpec, 'Follower')
    await follower.synced(timeout * 1000)
  }
  const startEpoch = Date.now()
  const start = performance.now()
  const updates = await typeTrace(writer, trace)
  const sentAt = performance.now()
  const deadline = sentAt + timeout * 1000
  let seen
  let syncs = []
  if (follower !== null) {
    seen = await whenHolding(follower, length, digest, deadline)
  } else {
    ({ seen, syncs } = await pollJoins(observerSpec, length, digest, deadline))
  }
  const result = {
    updates,
    start_epoch_ms: startEpoch,
    send_seconds: (sentAt - start) / 1000,
    visible_seconds: seen === null ? null : (seen - start) / 1000,
    syncs_ms: syncs,
    writer_text_ok: holds(writer, length, digest),
    reconnections: writer.closes + (follower?.closes ?? 0)
  }
  writer.destroy()
  follower?.destroy()
  return result
}

// Typing several traces ---------------------------------------------------------------------------

const type = async ({ writer: spec, traces, timeout }, lines) => {
  const writer = new Client(spec, 'Replayer')
  await writer.synced(timeout * 1000)
  let updates = 0
  let seconds = 0
  for (const path of traces) {
    const trace = loadTrace(path)
    const start = performance.now()
    const count = await typeTrace(writer, trace, writer.text.length)
    seconds += (performance.now() - start) / 1000
    updates += count
    const text = writer.text.toString()
    print({ event: 'typed', trace: path, updates: count, length: text.length, sha256: sha256(text) })
    const line = await lines.next()
    if (line.done || line.value.trim() !== 'next') throw new Error('expected "next" on stdin')
  }
  writer.destroy()
  return { updates, seconds, reconnections: writer.closes }
}

// Late joins -----------------------------------------------------------------------------------

const joins = async ({ client: spec, length, sha256: digest, runs, pause_ms: pauseMs, hold, timeout }) => {
  const times = []
  const holder = hold ? new Client(spec, 'Holder') : null // keeps the room loaded
  if (holder !== null) await holder.synced(timeout * 1000)
  for (let run = 0; run < runs; run++) {
    const opened = performance.now()
    const client = new Client(spec, 'Late joiner')
    try {
      await client.synced(timeout * 1000)
      times.push(holds(client, length, digest) ? performance.now() - opened : null)
    } catch {
      times.push(null)
    } finally {
      client.destroy()
    }
    await sleep(pauseMs)
  }
  holder?.destroy()
  return { times_ms: times }
}

// Restart --------------------------------------------------------------------------------------

const restart = async ({ clients: specs, length, sha256: digest, timeout }, lines) => {
  const clients = await connectAll(specs, timeout * 1000)
  print({ event: 'ready', clients: clients.length })
  const line = await lines.next()
  if (line.done || line.value.trim() !== 'stop') throw new Error('expected "stop" on stdin')
  const stopped = performance.now()
  const resynced = clients.map((client) => new Promise((resolve) => {
    let closed = false
    client.provider.on('connection-close', () => { closed = true })
    client.provider.on('sync', (state) => {
      if (state && closed) resolve(performance.now() - stopped)
    })
  }))
  const times = await Promise.race([
    Promise.all(resynced),
    sleep(timeout * 1000).then(() => null)
  ])
  const result = {
    clients: clients.length,
    all_seconds: times === null ? null : Math.max(...times) / 1000,
    median_seconds: times === null ? null : percentile([...times].sort((a, b) => a - b), 0.5) / 1000,
    texts_ok: clients.every((client) => holds(client, length, digest)),
    reconnections: clients.reduce((sum, client) => sum + client.closes, 0)
  }
  clients.forEach((client) => client.destroy())
  return result
}

// Entry point ----------------------------------------------------------------------------------

const modes = { fanout, ingest, joins, restart, type }
const mode = modes[process.argv[2]]
if (!mode) {
  console.error('usage: node load.mjs fanout|ingest|joins|restart|type < config.json')
  process.exit(2)
}
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const first = await lines.next()
try {
  const result = await mode(JSON.parse(first.value), lines)
  print({
    result,
    handshakes: { ...handshakes, answers: [...handshakes.answers] }
  })
  process.stdout.write('', () => process.exit(0))
} catch (error) {
  print({ error: String(error?.stack ?? error) })
  process.stdout.write('', () => process.exit(1))
}
