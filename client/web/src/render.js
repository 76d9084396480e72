// Markdown rendered to sanitised HTML: raw HTML typed by anyone is cleaned, never run. Loaded
// apart from the page (markdown.js imports it when first needed), as it weighs about 80 KB.
import { marked } from 'marked'
import DOMPurify from 'dompurify'

export function renderMarkdown (text) {
  return DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true }), {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe'],
    FORBID_ATTR: ['style']
  })
}
