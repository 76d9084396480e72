// The rendered Markdown beside the editor. Raw HTML typed by anyone is sanitised: the
// preview shows what the text says, never runs it.
import { marked } from 'marked'
import DOMPurify from 'dompurify'

export function renderMarkdown (text) {
  return DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true }), {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe'],
    FORBID_ATTR: ['style']
  })
}

export function previewer (container) {
  let timer = null
  return (text) => {
    clearTimeout(timer)
    timer = setTimeout(() => { container.innerHTML = renderMarkdown(text) }, 150)
  }
}
