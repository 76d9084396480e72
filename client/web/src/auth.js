// Signing in: an invitation link carries the member's secret in the address's fragment
// (#invite=TOKEN), which browsers never send to the server. It is moved into this browser's
// storage at once and removed from the address bar, so it is not left in history or
// bookmarks, nor shown on a shared screen.
const KEY = 'palabre.token'

export function takeInvitation (location, history, storage) {
  const match = /(?:^#|&)invite=([A-Za-z0-9_-]{1,128})/.exec(location.hash)
  if (match) {
    storage.setItem(KEY, match[1])
    history.replaceState(null, '', location.pathname + location.search)
  }
  return storage.getItem(KEY)
}

export function saveToken (storage, token) {
  storage.setItem(KEY, token.trim())
}

export function signOut (storage) {
  storage.removeItem(KEY)
}
