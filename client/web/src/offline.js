// Opening the page with no network, after a first visit. The service worker (sw.js) keeps the
// page and its assets, IndexedDB keeps the text (live.js); this module registers the worker
// and keeps the few answers the page needs before it can show a document: who the member is,
// the document's title, the list of documents. They are kept in localStorage under a digest
// of the token, so they serve only the member who received them.
// - The document page opens at once with the answers kept from an earlier visit (keptFirst):
//   through a weak link each answer costs a round trip (0.6 s and more on lome-3g) on every
//   visit. The server's own answers follow and the page takes them; a refusal (401, 403,
//   404) forgets what was kept and the page opens again, waiting for the server this time,
//   so it shows the refusal: an answer from the server always wins.
// - The list of documents (lastKnown) asks the server first and uses the kept answer when
//   the network fails or has not answered within ANSWER_TIMEOUT_MS (a silent dead link
//   hangs rather than fails); an answer from the server is never replaced by a kept one.
import { ApiError } from './api.js'

const PREFIX = 'palabre.known.'
const ANSWER_TIMEOUT_MS = 3000
const REFUSALS = [401, 403, 404]

export function registerServiceWorker () {
  if (!('serviceWorker' in navigator)) return // not a secure context, or an old browser
  navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .catch((error) => console.warn('service worker not registered:', error))
}

async function keyFor (token, path) {
  if (!(window.crypto && window.crypto.subtle)) return null
  const digest = await window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  const hex = [...new Uint8Array(digest)].slice(0, 12)
    .map((byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${PREFIX}${hex}:${path}`
}

function read (storage, key) {
  try {
    return key ? JSON.parse(storage.getItem(key)) : null
  } catch (_) {
    return null
  }
}

function keep (storage, key, value) {
  try {
    if (key) storage.setItem(key, JSON.stringify(value))
  } catch (_) {} // a full localStorage: the next visit asks the server first
}

// `api.get(path)`, or the last answer kept for it when the network does not give one.
export async function lastKnown (api, path, storage = window.localStorage) {
  const key = await keyFor(api.token, path)
  const fresh = api.get(path).then((value) => {
    keep(storage, key, value)
    return value
  })
  const kept = read(storage, key)
  if (kept === null) return fresh
  const late = new Promise((resolve) => setTimeout(resolve, ANSWER_TIMEOUT_MS, kept))
  try {
    return await Promise.race([fresh, late])
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) return kept
    throw error
  }
}

// `{ value, fresh }`: the answer kept for `path` if there is one (else the server's), and the
// server's own as a promise the page follows. A refusal forgets the kept answer.
export async function keptFirst (api, path, storage = window.localStorage) {
  const key = await keyFor(api.token, path)
  const fresh = api.get(path).then((value) => {
    keep(storage, key, value)
    return value
  }, (error) => {
    if (key && error instanceof ApiError && REFUSALS.includes(error.status)) storage.removeItem(key)
    throw error
  })
  const kept = read(storage, key)
  if (kept === null) return { value: await fresh, fresh }
  fresh.catch(() => {}) // the page follows it; with no network, the kept answer stays
  return { value: kept, fresh }
}

// Whether an answer for `path` was kept from an earlier visit (then the page has been opened
// in this browser before, and IndexedDB holds the document).
export async function hasKept (api, path, storage = window.localStorage) {
  return read(storage, await keyFor(api.token, path)) !== null
}

export function isRefusal (error) {
  return error instanceof ApiError && REFUSALS.includes(error.status)
}
