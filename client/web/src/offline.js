// Opening the page with no network, after a first visit. The service worker (sw.js) keeps the
// page and its assets, IndexedDB keeps the text (live.js); this module registers the worker
// and keeps the few answers the page needs before it can show a document: who the member is,
// the document's title, the list of documents. When the network fails, or the server has not
// answered within ANSWER_TIMEOUT_MS (a silent dead link hangs rather than fails), the page
// opens with the last answers this browser received. They are kept in localStorage under a
// digest of the token, so they serve only the member who received them; an answer from the
// server (401, 403, 404…) is never replaced by a kept one.
import { ApiError } from './api.js'

const PREFIX = 'palabre.known.'
const ANSWER_TIMEOUT_MS = 3000

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

// `api.get(path)`, or the last answer kept for it when the network does not give one.
export async function lastKnown (api, path, storage = window.localStorage) {
  const key = await keyFor(api.token, path)
  const fresh = api.get(path).then((value) => {
    if (key) storage.setItem(key, JSON.stringify(value))
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
