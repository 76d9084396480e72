// A meeting's worth of stock Yjs clients in one Node process, for the browser tests of a
// committee meeting (tests/test_meeting.py): each member is an unmodified y-websocket provider
// with its own document and presence, as 20 laptops and phones in a video call would be.
//
//   node tests/interop/crowd.mjs WS_BASE_URL DOCUMENT_ID
//
// Protocol: one JSON command per line on stdin, one JSON reply per line on stdout, in order:
//   {"cmd":"join","tokens":["...", ...],"timeout_ms":30000}  -> {"ok":true,"clients":N}
//     (every client synced, its presence set: a cursor at the start of the text)
//   {"cmd":"type","client":I,"after":"TEXT","text":"...","delay_ms":20,"background":false}
//     -> {"ok":true}  (client I types after the first occurrence of TEXT, one character per
//     transaction, its cursor following, as y-codemirror publishes it: {anchor, head}
//     relative positions; with "background": true the reply comes at once, and several
//     clients type at the same time)
//   {"cmd":"settle"}  -> {"ok":true}  (once every background typing has finished)
//   {"cmd":"insert","client":I,"index":N,"text":"..."}  -> {"ok":true}  (one transaction)
//   {"cmd":"cursor","client":I,"after":"TEXT"}  -> {"ok":true}  (moves client I's cursor)
//   {"cmd":"wait_text","contains":"...","timeout_ms":20000}  -> {"ok":true} (every client has it)
//   {"cmd":"close"}  -> {"ok":true}, then exit 0
// A failed command answers {"ok":false,"error":"..."}.

import { createInterface } from 'node:readline'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBaseUrl, documentId] = process.argv.slice(2)
if (!wsBaseUrl || !documentId) {
  console.error('usage: node crowd.mjs WS_BASE_URL DOCUMENT_ID')
  process.exit(2)
}
const print = (message) => process.stdout.write(JSON.stringify(message) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
for (const level of ['warn', 'error', 'log']) console[level] = () => {} // keep stdout for replies

const clients = []
const running = [] // background typing

function join (token) {
  const doc = new Y.Doc()
  const text = doc.getText('body')
  const provider = new WebsocketProvider(`${wsBaseUrl}/ws`, documentId, doc, {
    params: { token }, WebSocketPolyfill: WebSocket, disableBc: true
  })
  return { doc, text, provider }
}

async function until (condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms`)
    await sleep(25)
  }
}

function place (client, index) {
  const position = Y.createRelativePositionFromTypeIndex(client.text, index)
  client.provider.awareness.setLocalStateField('cursor', { anchor: position, head: position })
}

function indexAfter (client, marker) {
  const found = client.text.toString().indexOf(marker)
  if (found < 0) throw new Error(`${JSON.stringify(marker)} is not in the text`)
  return found + marker.length
}

const commands = {
  join: async ({ tokens, timeout_ms: timeoutMs = 30000 }) => {
    const joined = tokens.map(join)
    clients.push(...joined)
    await until(() => joined.every((c) => c.provider.synced), timeoutMs, 'join')
    for (const client of joined) {
      client.provider.awareness.setLocalStateField('user', { name: 'claimed', color: '#000000' })
      place(client, 0)
    }
    return { clients: clients.length }
  },
  type: async ({ client: index, after, text, delay_ms: delayMs = 20, background = false }) => {
    const client = clients[index]
    const typing = (async () => {
      let at = indexAfter(client, after)
      const cursor = () => Y.createRelativePositionFromTypeIndex(client.text, at)
      for (const char of text) {
        client.text.insert(at, char)
        const next = cursor() // others may type before us meanwhile: follow our own text
        if (delayMs > 0) await sleep(delayMs)
        at = Y.createAbsolutePositionFromRelativePosition(next, client.doc).index + char.length
        place(client, at)
      }
    })()
    if (background) running.push(typing)
    else await typing
  },
  settle: async () => {
    await Promise.all(running.splice(0))
  },
  insert: ({ client: index, index: at, text }) => { clients[index].text.insert(at, text) },
  cursor: ({ client: index, after }) => place(clients[index], indexAfter(clients[index], after)),
  wait_text: ({ contains, timeout_ms: timeoutMs = 20000 }) =>
    until(() => clients.every((c) => c.text.toString().includes(contains)), timeoutMs, 'wait_text'),
  close: async () => {
    for (const client of clients) client.provider.destroy()
    await sleep(200)
    closing = true
  }
}
let closing = false

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
for (const client of clients) client.provider.destroy()
process.stdout.write('', () => process.exit(0))
