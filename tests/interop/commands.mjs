// What the Node clients of the tests share (yclient.mjs: one stock client; crowd.mjs: a
// meeting's worth of them): the JSON-lines command protocol on stdin and stdout, and typing
// one character per transaction as a person does.
//
// Protocol: one JSON command per line on stdin, one JSON reply per line on stdout, in order.
// A command {"cmd":NAME,...} runs `commands[NAME](command)`; its result, an object or
// nothing, is merged into {"ok":true}. A failed command answers {"ok":false,"error":"..."}.
// After a command that made `closing()` true, or when stdin ends, `serve` returns.

import { createInterface } from 'node:readline'
import * as Y from 'yjs'

export const print = (message) => process.stdout.write(JSON.stringify(message) + '\n')
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export async function serve (commands, closing) {
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
    if (closing()) break
  }
}

// Exit once everything printed has been written.
export const exit = () => process.stdout.write('', () => process.exit(0))

// Type `text` into `ytext` from `index`, one character per transaction (one update each), so
// that the edits interleave with the other clients'. The cursor follows our own last
// character (a relative position), like a person typing, whatever the others insert
// meanwhile; with `atEnd` each character goes at the end of the text instead. `typed(index)`
// is told where the cursor stands after each character.
export async function typeFrom (ytext, index, text, delayMs, { atEnd = false, typed = () => {} } = {}) {
  for (const char of text) {
    if (atEnd) index = ytext.length
    ytext.insert(index, char)
    const cursor = Y.createRelativePositionFromTypeIndex(ytext, index)
    if (delayMs > 0) await sleep(delayMs)
    index = Y.createAbsolutePositionFromRelativePosition(cursor, ytext.doc).index + char.length
    typed(index)
  }
}
