// The service worker: the page opens with no network after a first visit. It keeps this
// release's page and assets in one cache named after the release (the build writes VERSION
// and ASSETS from the content-hashed file names), and answers:
// - a navigation to / or /d/{id}: from the network first; from the kept page when the network
//   fails, answers 5xx, or has not answered within NAVIGATION_TIMEOUT_MS (a silent dead link
//   never fails, it hangs);
// - /assets/NAME: the kept file (content-hashed names never change), else the network;
// - nothing else. /api/, /ws/, /openapi.json, /healthz and this script are never touched, so
//   no API answer and no token enters the cache or is answered from it. Nothing is stored
//   after install: the cache holds exactly the release it is named after.
// A new release installs beside the old one, takes over at once and deletes the old cache.
// An open page keeps running the code it loaded, which needs nothing more from the cache;
// the next visit loads the new release.
/* global PALABRE_VERSION, PALABRE_ASSETS */
const CACHE = `palabre-${PALABRE_VERSION}`
const SHELL = '/'
const NAVIGATION_TIMEOUT_MS = 3000

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE)
    await cache.addAll([
      new Request(SHELL, { cache: 'no-cache' }),
      ...PALABRE_ASSETS.map((name) => `/assets/${name}`)
    ])
    await self.skipWaiting()
  })())
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

const isPage = (url) => url.pathname === '/' || /^\/d\/[^/]+\/?$/.test(url.pathname)

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin) return
  if (request.mode === 'navigate' && isPage(url)) event.respondWith(page(request))
  else if (url.pathname.startsWith('/assets/')) event.respondWith(asset(request))
})

async function page (request) {
  const network = fetch(request)
  const late = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS, null))
  try {
    const answer = await Promise.race([network, late])
    if (answer && answer.status < 500) return answer
  } catch (_) {} // no network: the kept page
  const kept = await caches.match(SHELL, { cacheName: CACHE })
  return kept || network // nothing kept yet: whatever the network gives
}

async function asset (request) {
  return (await caches.match(request, { cacheName: CACHE })) || fetch(request)
}
