// The HTTP API, with the member's bearer token. A failed call throws an ApiError carrying the
// HTTP status and the server's stable machine code (`{"error": {"code"}}`), which the page
// translates (errors.js); a call that never reached the server has status 0, code 'network'.
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

export class Api {
  constructor (token) {
    this.token = token
  }

  async request (method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let response
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body)
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

  async json (method, path, body) {
    return (await this.request(method, path, body)).json()
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
