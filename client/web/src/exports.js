// Downloads: any version, or the text at any point, in each export format the server offers
// (GET /api/documents/{id}/export?format=...&version=N|at=POSITION, named by the server). A
// failed download says why in the reader's words (offline, refused...).
import { h } from './dom.js'
import { t, currentLanguage } from './i18n.js'
import { documentPath } from './api.js'
import { explain } from './errors.js'

export const FORMATS = ['md', 'html', 'docx', 'odt', 'pdf', 'json']

export async function download (api, documentId, format, { version, at } = {}) {
  // The file speaks the page's language and gives times in the browser's zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  const query = new URLSearchParams({ format, lang: currentLanguage(), tz: zone })
  if (version !== undefined) query.set('version', String(version))
  if (at !== undefined) query.set('at', String(at))
  const { blob, name } = await api.file(documentPath(documentId, `/export?${query}`))
  const url = URL.createObjectURL(blob)
  const link = h('a', { href: url, download: name, hidden: true })
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

// A group of buttons, one per format, for one version (or one position, or the latest text).
// `point` may be a function giving the point at the moment of the click (the history's
// slider moves under the buttons).
export function exportButtons (api, documentId, point = {}, label = '') {
  const status = h('span', { class: 'error', role: 'alert' })
  const fixed = typeof point === 'function' ? null : point
  const what = label || (fixed && fixed.version !== undefined ? `v${fixed.version}` : '')
  return h('div', { class: 'exports row', role: 'group', 'aria-label': `${t('export.label')} ${what}`.trim() },
    h('span', { class: 'muted' }, t('export.download')),
    FORMATS.map((format) => h('button', {
      type: 'button',
      class: `export export-${format}`,
      dataset: { format },
      onclick: async (event) => {
        const button = event.currentTarget
        button.disabled = true
        status.textContent = ''
        try {
          await download(api, documentId, format, fixed || point())
        } catch (error) {
          status.textContent = t('export.failed', { message: explain(error) })
        } finally {
          button.disabled = false
        }
      }
    }, format.toUpperCase())),
    status)
}
