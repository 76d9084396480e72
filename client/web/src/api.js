// The HTTP API, with the member's bearer token. A failed call throws an ApiError carrying the
// HTTP status and the server's stable machine code (`{"error": {"code"}}`), which the page
// translates (errors.js); a call that never reached the server has status 0, code 'network'.
//
// `sure()` is for the committee's actions on a weak link (a vote, a comment): it sends one
// request under an idempotency key chosen before the first attempt, and sends it again after
// a network failure, a silent attempt (ATTEMPT_TIMEOUT_MS: a dead link hangs rather than
// fails) or a 502/503/504, with back-off and at once when the browser comes back online,
// until the server answers. The server answers a retry as it answered the first attempt, so
// a vote whose answer was lost is never cast twice and a comment never made twice
// (README, "Retrying safely"). `pending` counts such requests in flight: closing the tab
// asks first while one is.
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

const ATTEMPT_TIMEOUT_MS = 20000
const RETRY_STATUSES = new Set([0, 502, 503, 504])
const MAX_BACKOFF_MS = 15000

// 128 random bits as hex (crypto.randomUUID needs a secure context; this does not).
export function newKey () {
  const bytes = window.crypto.getRandomValues(new Uint8Array(16))
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

// Wait `ms`, or less if the browser comes back online meanwhile.
function pause (ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); window.removeEventListener('online', done); resolve() }
    const timer = setTimeout(done, ms)
    window.addEventListener('online', done)
  })
}

// Answers to GET requests boot.js started before the page's code had arrived: path ->
// { token, response }, each taken once by the first request for it with the same token.
const prefetched = new Map()

// Start `GET path` now (once `wanted` resolves to true) for the page to take later.
export function prefetch (token, path, wanted = Promise.resolve(true)) {
  const response = wanted.then((yes) => yes
    ? fetch(path, { headers: { Authorization: `Bearer ${token}` } })
    : null)
  response.catch(() => {}) // a failure is the taker's, if any
  prefetched.set(path, { token, response })
}

function takePrefetched (method, path, token) {
  const early = prefetched.get(path)
  if (method !== 'GET' || !early || early.token !== token) return null
  prefetched.delete(path)
  return early.response
}

export class Api {
  constructor (token) {
    this.token = token
    this.pending = 0
  }

  async request (method, path, body, { key = null, timeout = 0 } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (key) headers['Idempotency-Key'] = key
    // The timeout covers the answer's body too; aborting once it was read does nothing.
    const abort = timeout ? new AbortController() : null
    if (abort) setTimeout(() => abort.abort(), timeout)
    let response
    try {
      const early = takePrefetched(method, path, this.token)
      response = early && await early
    } catch (error) {
      response = null // asked again below
    }
    try {
      response = response || await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort ? abort.signal : undefined
      })
    } catch (error) {
      throw new ApiError(0, 'network', String(error && error.message))
    }
    if (!response.ok) {
      let code = ''
      let message = response.statusText
      try {
        const answer = (await response.json()).error
        code = String(answer.code || '')
        message = String(answer.message || message)
      } catch (_) {}
      throw new ApiError(response.status, code, message)
    }
    return response
  }

  async json (method, path, body, options) {
    const response = await this.request(method, path, body, options)
    try {
      return await response.json()
    } catch (error) { // the answer was cut off mid-way
      throw new ApiError(0, 'network', String(error && error.message))
    }
  }

  // A POST that creates something, sent until the server answers (see above). `onRetry(n)`
  // is told each time an attempt failed and another will follow. `method` 'PATCH' sends a
  // change that is the same whenever it arrives (a suggestion's new words) the same way.
  async sure (path, body = {}, { onRetry = () => {}, method = 'POST' } = {}) {
    const key = newKey()
    this.pending += 1
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await this.json(method, path, body, { key, timeout: ATTEMPT_TIMEOUT_MS })
        } catch (error) {
          if (!(error instanceof ApiError) || !RETRY_STATUSES.has(error.status)) throw error
          onRetry(attempt)
          await pause(Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS))
        }
      }
    } finally {
      this.pending -= 1
    }
  }

  get (path) { return this.json('GET', path) }
  post (path, body = {}) { return this.json('POST', path, body) }
  put (path, body) { return this.json('PUT', path, body) }
  delete (path) { return this.json('DELETE', path) }

  async text (path) {
    return (await this.request('GET', path)).text()
  }

  // A file: its bytes and the name the server gave it (Content-Disposition).
  async file (path) {
    const response = await this.request('GET', path)
    const disposition = response.headers.get('content-disposition') || ''
    const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
    const plain = /filename="?([^";]+)"?/i.exec(disposition)
    const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : 'palabre-export'
    let blob
    try {
      blob = await response.blob()
    } catch (error) {
      throw new ApiError(0, 'network', String(error && error.message))
    }
    return { blob, name }
  }
}

export function documentPath (documentId, rest = '') {
  return `/api/documents/${encodeURIComponent(documentId)}${rest}`
}
