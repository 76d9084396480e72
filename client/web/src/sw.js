// The service worker: the page opens with no network after a first visit. It keeps this
// release's page and assets in one cache named after the release (the build writes VERSION
// and ASSETS from the content-hashed file names), and answers:
// - a navigation to / or /d/{id}: from the network if it answers (below 500) within
//   NAVIGATION_DEADLINE_MS, else from the kept page at once; the network answer still comes
//   and, if it is this release's page (every asset it names is in ASSETS), replaces the kept
//   one for the next visit. With no page kept yet, whatever the network gives.
// - /assets/NAME: the kept file (content-hashed names never change), else the network;
// - nothing else. /api/, /ws/, /openapi.json, /healthz and this script are never touched, so
//   no API answer and no token enters the cache or is answered from it. The cache holds
//   exactly the release it is named after: a new release's page is never stored in it.
// A new release installs beside the old one (the browser checks this script, no-cache, on
// every navigation), takes over at once and deletes the old cache. An open page keeps running
// the code it loaded, which needs nothing more from the cache; the next visit loads the new
// release: on a fast link at once (the network page answers within the deadline), on a slow
// one the visit after the one whose check installed it.
/* global PALABRE_VERSION, PALABRE_ASSETS */
const CACHE = `palabre-${PALABRE_VERSION}`
const SHELL = '/'
// A link with a round trip up to about 150 ms answers the page in two of them (a connection,
// the request) within the deadline and so sees a new release at once; lome-3g (300 ms each
// way) never can, and pays 400 ms instead of the 2 s its page request takes.
const NAVIGATION_DEADLINE_MS = 400

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
  if (request.mode === 'navigate' && isPage(url)) event.respondWith(page(event))
  else if (url.pathname.startsWith('/assets/')) event.respondWith(asset(request))
})

async function page (event) {
  const network = fetch(event.request)
  // The network answer, whenever it comes, keeps this release's page for the next visit.
  event.waitUntil(network.then(keep, () => {}))
  const late = new Promise((resolve) => setTimeout(resolve, NAVIGATION_DEADLINE_MS, null))
  try {
    const answer = await Promise.race([network, late])
    if (answer && answer.status < 500) return answer
  } catch (_) {} // no network: the kept page
  const kept = await caches.match(SHELL, { cacheName: CACHE })
  return kept || network // nothing kept yet: whatever the network gives
}

async function keep (answer) {
  if (answer.status !== 200 || answer.redirected || answer.type !== 'basic') return
  const copy = answer.clone()
  const text = await answer.clone().text()
  const named = [...text.matchAll(/\/assets\/([\w.-]+)/g)].map((match) => match[1])
  if (named.length === 0 || !named.every((name) => PALABRE_ASSETS.includes(name))) return
  const cache = await caches.open(CACHE)
  await cache.put(SHELL, copy)
}

async function asset (request) {
  return (await caches.match(request, { cacheName: CACHE })) || fetch(request)
}
