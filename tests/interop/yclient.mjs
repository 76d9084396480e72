// A stock Yjs client for the interoperability tests (tests/test_interop_node.py).
//
//   node tests/interop/yclient.mjs WS_BASE_URL DOCUMENT_ID TOKEN
//
// WS_BASE_URL is the server's websocket origin, e.g. ws://127.0.0.1:8000. The unmodified
// y-websocket provider builds `${serverUrl}/${roomname}?token=...`, so serverUrl is
// `${WS_BASE_URL}/ws` and roomname is the document id: exactly Palabre's endpoint
// /ws/{document_id}?token=TOKEN. No `acks` parameter is sent, so the server only ever sends
// standard y-websocket messages to this client.
//
// Protocol: one JSON command per line on stdin, one JSON line per reply on stdout, in order:
//   {"cmd":"wait_synced","timeout_ms":20000}                  -> {"ok":true}
//   {"cmd":"insert","index":0,"text":"..."}                    -> {"ok":true}
//   {"cmd":"type","text":"...","at":"end"|N,"delay_ms":5}      -> {"ok":true}
//   {"cmd":"text"}                                             -> {"ok":true,"text":"..."}
//   {"cmd":"wait_text","text":"...","timeout_ms":20000}        -> {"ok":true}
//   {"cmd":"set_awareness","state":{...}}                      -> {"ok":true}
//   {"cmd":"awareness"}                      -> {"ok":true,"states":{"<client id>":{...}}}
//   {"cmd":"stats"}    -> {"ok":true,"connections":N,"closes":N,"largest":N,"messages":N}
//                         sockets opened, sockets closed (by either side, y-websocket's own
//                         30-second rule included), the largest message received (bytes) and
//                         how many were received
//   {"cmd":"close"}                                            -> {"ok":true}, then exit 0
// A failed command answers {"ok":false,"error":"..."}. Unsolicited lines carry an "event" key:
//   {"event":"close","code":N,"reason":"..."}     the server closed the connection
//   {"event":"closed","code":N,"reason":"..."}    the provider gave up reconnecting (4400-4499)
//   {"event":"dropped"}                           the provider closed the socket itself (its
//                                                 30-second rule), not asked to
//   {"event":"permission-denied","reason":"..."}  the server refused an update (auth message)
//   {"event":"error","message":"..."}             a websocket error
//   {"event":"console","level":"...","message":"..."}  anything else the provider logged

import { createInterface } from 'node:readline'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBaseUrl, documentId, token] = process.argv.slice(2)
if (!wsBaseUrl || !documentId || token === undefined) {
  console.error('usage: node yclient.mjs WS_BASE_URL DOCUMENT_ID TOKEN')
  process.exit(2)
}

const print = (message) => process.stdout.write(JSON.stringify(message) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The stock provider reports a refused update only through console.warn (its permission
// denied handler), and an unknown message type through console.error. Watching the console
// keeps the provider itself untouched.
const PERMISSION_DENIED = /^Permission denied to access [^\n]*\.\n([\s\S]*)$/
for (const level of ['warn', 'error', 'log']) {
  console[level] = (...args) => {
    const message = args.map(String).join(' ')
    const denied = level === 'warn' && PERMISSION_DENIED.exec(message)
    print(denied ? { event: 'permission-denied', reason: denied[1] }
      : { event: 'console', level, message })
  }
}

const stats = { connections: 0, closes: 0, largest: 0, messages: 0 }
let closing = false // the test asked to close: the provider's own close is expected
// Every socket the provider opens, watched for the size of what it receives.
class WatchedSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    this.on('message', (data) => {
      stats.messages += 1
      stats.largest = Math.max(stats.largest, data.byteLength ?? data.length)
    })
  }
}

const ydoc = new Y.Doc()
const ytext = ydoc.getText('body')
const provider = new WebsocketProvider(`${wsBaseUrl}/ws`, documentId, ydoc, {
  params: { token },
  WebSocketPolyfill: WatchedSocket,
  disableBc: true
})

// The provider's events. `event` is null when we closed the connection ourselves.
let terminalClose = null
provider.on('status', ({ status }) => { if (status === 'connected') stats.connections += 1 })
provider.on('connection-close', (event) => {
  stats.closes += 1
  if (event) print({ event: 'close', code: event.code, reason: String(event.reason ?? '') })
  else if (!closing) print({ event: 'dropped' }) // closed here: nothing received for 30 s
})
provider.on('closed', (event) => {
  terminalClose = event
  print({ event: 'closed', code: event.code, reason: String(event.reason ?? '') })
})
provider.on('connection-error', (event) => {
  print({ event: 'error', message: String(event?.message ?? event?.error ?? 'websocket error') })
})

// Resolve once `condition()` holds, re-checking on every change of the text and of the
// provider's sync state; reject after timeoutMs or when the provider stopped for good.
const until = (condition, timeoutMs, what) => new Promise((resolve, reject) => {
  const check = () => {
    if (condition()) {
      done()
      resolve()
    } else if (terminalClose !== null) {
      done()
      reject(new Error(`${what}: connection closed (${terminalClose.code} ${terminalClose.reason})`))
    }
  }
  const timer = setTimeout(() => {
    done()
    reject(new Error(`${what}: timed out after ${timeoutMs} ms; text is ${JSON.stringify(ytext.toString())}`))
  }, timeoutMs)
  const done = () => {
    clearTimeout(timer)
    ytext.unobserve(check)
    provider.off('sync', check)
    provider.off('closed', check)
  }
  ytext.observe(check)
  provider.on('sync', check)
  provider.on('closed', check)
  check()
})

// Type one character at a time, each in its own transaction, so that the edits interleave
// with the other clients'. With a numeric `at` the cursor follows our own last character
// (a relative position), like a person typing, whatever the others insert meanwhile.
const type = async (text, at, delayMs) => {
  let index = at === 'end' ? ytext.length : at
  for (const char of text) {
    if (at === 'end') index = ytext.length
    ytext.insert(index, char)
    const cursor = Y.createRelativePositionFromTypeIndex(ytext, index)
    if (delayMs > 0) await sleep(delayMs)
    index = Y.createAbsolutePositionFromRelativePosition(cursor, ydoc).index + char.length
  }
}

const commands = {
  wait_synced: ({ timeout_ms: timeoutMs = 20000 }) =>
    until(() => provider.synced, timeoutMs, 'wait_synced'),
  insert: ({ index, text }) => ytext.insert(index, text),
  type: ({ text, at = 'end', delay_ms: delayMs = 5 }) => type(text, at, delayMs),
  text: () => ({ text: ytext.toString() }),
  wait_text: ({ text, timeout_ms: timeoutMs = 20000 }) =>
    until(() => ytext.toString() === text, timeoutMs, 'wait_text'),
  // Presence. The initial local state `{}` has clock 0, which stock peers ignore (y-protocols
  // only applies a clock above the one it knows), so apps, and the tests, set their own.
  set_awareness: ({ state }) => provider.awareness.setLocalState(state),
  // Everyone's presence as this client sees it (the server stamps each state with `member`).
  awareness: () => ({ states: Object.fromEntries(provider.awareness.getStates()) }),
  stats: () => ({ ...stats }),
  close: async () => {
    const ws = provider.ws
    closing = true
    provider.destroy()
    // Let the closing handshake finish, so that the server sees a clean close (1000).
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await Promise.race([new Promise((resolve) => ws.once('close', resolve)), sleep(2000)])
    }
  }
}

// Commands run one after another; events may be printed between them.
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue
  let reply
  try {
    const command = JSON.parse(line)
    const handler = commands[command.cmd]
    if (!handler) throw new Error(`unknown command ${JSON.stringify(command.cmd)}`)
    reply = { ok: true, ...(await handler(command)) }
  } catch (error) {
    reply = { ok: false, error: String(error?.message ?? error) }
  }
  print(reply)
  if (closing) break
}
// After a close command, or when stdin ends (the test went away): stop.
if (!closing) provider.destroy()
process.stdout.write('', () => process.exit(0))
