import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
const [server, room, token, count] = process.argv.slice(2)
let received = 0, bytes = 0
class Counting extends WebSocket {
  constructor (url, protocols) { super(url, protocols, { perMessageDeflate: true }); this.on('message', (d) => { received++; bytes += d.length }) }
}
const doc = new Y.Doc(); const text = doc.getText('body')
const provider = new WebsocketProvider(server, room, doc, { params: token ? { token } : {}, WebSocketPolyfill: Counting, disableBc: true })
await new Promise((r) => provider.on('sync', (s) => s && r()))
const trace = JSON.parse(gunzipSync(readFileSync('../../data/seph-blog1.json.gz')).toString())
const before = received
const t0 = performance.now()
let n = 0
for (const txn of trace.txns.slice(0, Number(count))) {
  doc.transact(() => { for (const [p, d, i] of txn.patches) { if (d) text.delete(p, d); if (i) text.insert(p, i) } })
  if (++n % 500 === 0) await new Promise((r) => setImmediate(r))
}
while (provider.ws && provider.ws.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 1))
const sent = performance.now() - t0
await new Promise((r) => setTimeout(r, 2000))
console.log(JSON.stringify({ sent_ms: sent, received: received - before, bytes }))
provider.destroy(); process.exit(0)
