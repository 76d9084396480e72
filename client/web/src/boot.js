// The page's first script, small so that it runs while the rest of the page's code is still
// on its way (main.js and what it needs, fetched beside this one through the page's
// <link rel="modulepreload">: 175 KB, 1.4 s at 1 Mbit/s). On a document page it starts at
// once the requests the page makes first (who the member is, the document, its members, and
// on a first visit its text: early.js), each a round trip on a weak link (0.6 s and more on
// lome-3g), so that their answers travel while the code downloads; main.js then takes them
// through api.js as if it had asked (`prefetch`). Then it runs main.js.
import './style.css'
import { takeInvitation } from './auth.js'
import { documentPath, prefetch } from './api.js'
import { hasKept } from './offline.js'

const storage = window.localStorage
const token = takeInvitation(window.location, window.history, storage)
const match = /^\/d\/([0-9a-fA-F-]{36})\/?$/.exec(window.location.pathname)
if (token && match) {
  const documentId = match[1].toLowerCase()
  const me = documentPath(documentId, '/me')
  for (const path of [me, documentPath(documentId), documentPath(documentId, '/members')]) {
    prefetch(token, path)
  }
  // The text only when nothing was kept from an earlier visit (then IndexedDB holds it).
  prefetch(token, documentPath(documentId, '/text'), hasKept({ token }, me, storage).then((kept) => !kept))
}
import('./main.js')
