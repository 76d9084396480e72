// Markdown shown as HTML (the preview, change notes, interview summaries), sanitised by
// render.js. Its libraries (marked, DOMPurify: about 80 KB minified, a sixth of the page's
// script) are not needed for the first screen, so they come in a chunk of their own, loaded
// on first use or once the page has opened (`preloadMarkdown`). Until it has arrived an
// element shows nothing; if it cannot arrive (no network, a release replaced meanwhile), the
// element shows the Markdown as plain text.
let loading = null

function renderer () {
  if (loading === null) {
    loading = import('./render.js')
    loading.catch(() => { loading = null }) // try again on the next use
  }
  return loading
}

export function preloadMarkdown () {
  renderer().catch(() => {})
}

// Fill `element` with `text` rendered; calls made in order are applied in order.
export function renderInto (element, text) {
  return renderer().then(
    ({ renderMarkdown }) => { element.innerHTML = renderMarkdown(text) },
    () => { element.textContent = text }
  )
}

// The live preview: rendered 150 ms after the text stops changing.
export function previewer (container) {
  let timer = null
  return (text) => {
    clearTimeout(timer)
    timer = setTimeout(() => { renderInto(container, text) }, 150)
  }
}
