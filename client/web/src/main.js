// The page: sign in, then the document's workspace (text, committee, history, exports).
import './style.css'
import { h, fill } from './dom.js'
import { Api, ApiError, documentPath } from './api.js'
import { takeInvitation, saveToken, signOut } from './auth.js'
import { initLanguage, setLanguage, currentLanguage, onLanguage, t, translate } from './i18n.js'
import { LiveDocument } from './live.js'
import { createEditor } from './editor.js'
import { renderToolbar } from './toolbar.js'
import { renderOutline } from './outline.js'
import { previewer } from './preview.js'
import { startPresence, trustServerNames } from './presence.js'
import { CommentsPanel } from './comments.js'
import { CommitteePanel } from './committee.js'
import { HistoryPanel } from './history.js'
import { exportButtons } from './exports.js'
import { openEvents } from './events.js'
import { registerServiceWorker, lastKnown } from './offline.js'

const storage = window.localStorage
const root = document.getElementById('app')

function languageButton () {
  return h('button', {
    type: 'button',
    class: 'lang',
    'data-i18n': 'lang.switch',
    'data-i18n-label': 'lang.switchLabel',
    onclick: () => setLanguage(storage, currentLanguage() === 'fr' ? 'en' : 'fr')
  })
}

function signInPage (message) {
  const input = h('input', { id: 'token', name: 'token', autocomplete: 'off', required: true })
  fill(root, h('main', { class: 'sign-in card' },
    h('div', { class: 'row end' }, languageButton()),
    h('h1', { 'data-i18n': 'auth.title' }),
    message ? h('p', { class: 'error', role: 'alert' }, t(message)) : null,
    h('p', { 'data-i18n': 'auth.intro' }),
    h('form', {
      class: 'stack',
      onsubmit: (event) => {
        event.preventDefault()
        saveToken(storage, input.value)
        start()
      }
    }, h('label', { for: 'token', 'data-i18n': 'auth.token' }), input,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'auth.submit' }))))
  translate(root)
}

async function documentsPage (api) {
  const { documents } = await lastKnown(api, '/api/documents')
  fill(root, h('main', { class: 'documents card' },
    h('div', { class: 'row end' }, languageButton(),
      h('button', { type: 'button', 'data-i18n': 'auth.signOut', onclick: () => { signOut(storage); start() } })),
    h('h1', { 'data-i18n': 'documents.title' }),
    documents.length
      ? h('ul', {}, documents.map((d) => h('li', {}, h('a', { href: `/d/${d.id}` }, d.title))))
      : h('p', { 'data-i18n': 'documents.none' })))
  translate(root)
}

function tabs (names, onShow) {
  const buttons = names.map((name, index) => h('button', {
    type: 'button',
    role: 'tab',
    id: `tab-${name}`,
    class: `tab tab-${name}`,
    'aria-controls': `panel-${name}`,
    'aria-selected': String(index === 0),
    tabindex: index === 0 ? '0' : '-1',
    'data-i18n': `tabs.${name}`,
    onclick: () => show(name),
    onkeydown: (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
      if (!step) return
      const next = names[(index + step + names.length) % names.length]
      show(next)
      document.getElementById(`tab-${next}`).focus()
    }
  }))
  function show (name) {
    for (const other of names) {
      const selected = other === name
      const button = document.getElementById(`tab-${other}`)
      button.setAttribute('aria-selected', String(selected))
      button.tabIndex = selected ? 0 : -1
      document.getElementById(`panel-${other}`).hidden = !selected
    }
    onShow(name)
  }
  return h('nav', { class: 'tabs', role: 'tablist', 'data-i18n-label': 'tabs.label' }, buttons)
}

async function documentPage (api, token, documentId) {
  let me
  let info
  try {
    ;[me, info] = await Promise.all([lastKnown(api, documentPath(documentId, '/me')),
      lastKnown(api, documentPath(documentId))])
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signInPage('auth.invalid')
    if (error instanceof ApiError && error.status === 403) return signInPage('auth.noRole')
    if (error instanceof ApiError && error.status === 404) return signInPage('auth.unknownDocument')
    throw error
  }
  document.title = `${info.title} — Palabre`
  let closedCode = null
  const live = new LiveDocument({
    documentId,
    memberId: me.id,
    token,
    onClosed: (code) => { closedCode = code; renderStatus() }
  })
  trustServerNames(live.awareness)
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
  const presence = h('div', { class: 'presence' })
  const who = h('span', { class: 'me' })
  const outline = h('div', { class: 'outline-list' })
  const preview = h('div', { class: 'preview markdown-body' })
  const commentsBox = h('div', { class: 'comments' })
  const editorBox = h('div', { class: 'editor', id: 'editor' })
  const readOnlyNote = h('p', { class: 'note', 'data-i18n': 'editor.readOnly' })
  const committeeBox = h('div', { id: 'panel-committee', role: 'tabpanel', 'aria-labelledby': 'tab-committee', class: 'panel', hidden: true })
  const historyBox = h('div', { id: 'panel-history', role: 'tabpanel', 'aria-labelledby': 'tab-history', class: 'panel', hidden: true })
  const exportsBox = h('div', { id: 'panel-exports', role: 'tabpanel', 'aria-labelledby': 'tab-exports', class: 'panel', hidden: true })
  const sideTab = (name, key) => h('button', {
    type: 'button', role: 'tab', id: `side-${name}`, class: `side-tab side-${name}`,
    'aria-selected': String(name === 'comments'), onclick: () => showSide(name)
  }, t(key, { n: 0 }))
  const previewTab = sideTab('preview', 'side.preview')
  const commentsTab = sideTab('comments', 'side.comments')
  const previewPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-preview', hidden: true }, preview)
  const commentsPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-comments' }, commentsBox)
  function showSide (name) {
    previewTab.setAttribute('aria-selected', String(name === 'preview'))
    commentsTab.setAttribute('aria-selected', String(name === 'comments'))
    previewPanel.hidden = name !== 'preview'
    commentsPanel.hidden = name !== 'comments'
  }

  let comments = null // created once the editor exists
  const editor = createEditor({
    parent: editorBox,
    live,
    label: t('editor.label'),
    placeholderText: t('editor.placeholder'),
    onChange: (update) => {
      if (update.docChanged) textChanged()
      const { from, to } = update.state.selection.main
      if (comments) comments.selectionChanged(from, to)
    }
  })
  const renderPreview = previewer(preview)
  function textChanged () {
    const text = live.text.toString()
    renderPreview(text)
    renderOutline(outline, text, (position) => editor.select(position, position))
    if (comments) comments.textChanged()
  }
  function applyRole () {
    const readOnly = !['coordinator', 'editor'].includes(me.role)
    editor.setReadOnly(readOnly)
    readOnlyNote.hidden = !readOnly
    fill(who, t('me.as', { name: me.name, organisation: me.organisation, role: t(`role.${me.role}`) }))
  }
  function renderStatus () {
    const tracker = live.tracker
    const n = tracker.unsaved
    let state = tracker.state
    let text
    if (closedCode !== null) {
      state = 'closed'
      text = t('status.closed', { code: closedCode })
    } else if (state === 'offline') text = n ? t('status.offlineN', { n }) : t('status.offline')
    else if (state === 'saving') text = n ? t('status.savingN', { n }) : t('status.saving')
    else text = t('status.saved')
    status.dataset.state = state
    status.dataset.unsaved = String(n)
    status.textContent = text
  }

  comments = new CommentsPanel({
    api, documentId, live, editor, me, container: commentsBox,
    onCount: (n) => { commentsTab.textContent = t('side.comments', { n }) }
  })
  const committee = new CommitteePanel({ api, documentId, me, container: committeeBox })
  const history = new HistoryPanel({ api, documentId, container: historyBox })
  const renderExports = async () => {
    const { versions } = await api.get(documentPath(documentId, '/versions'))
    fill(exportsBox, h('section', { class: 'card' },
      h('h2', {}, t('exports.title')), h('p', {}, t('exports.intro')),
      h('h3', {}, t('exports.current')), exportButtons(api, documentId, {}),
      versions.slice().reverse().map((v) => [h('h3', {}, `v${v.number} — ${v.label}`),
        exportButtons(api, documentId, { version: v.number })])))
  }
  const loaders = {
    text: () => {},
    committee: () => committee.reload(),
    history: () => history.reload(),
    exports: renderExports
  }

  fill(root,
    h('a', { class: 'skip', href: '#editor', 'data-i18n': 'app.skip' }),
    h('header', { class: 'top' },
      h('div', { class: 'title' }, h('h1', {}, h('span', { class: 'brand' }, 'Palabre'), ' ', h('span', { class: 'doc-title' }, info.title)), who),
      status,
      presence,
      h('div', { class: 'account row' }, languageButton(), h('button', {
        type: 'button',
        class: 'sign-out',
        'data-i18n': 'auth.signOut',
        onclick: () => {
          if (live.unsaved && !window.confirm(t('auth.signOutUnsaved'))) return
          signOut(storage)
          window.location.assign('/')
        }
      }))),
    tabs(['text', 'committee', 'history', 'exports'], (name) => {
      Promise.resolve(loaders[name]()).catch((error) => console.error(error))
    }),
    h('main', {},
      h('div', { id: 'panel-text', role: 'tabpanel', 'aria-labelledby': 'tab-text', class: 'panel' },
        renderToolbar(editor),
        readOnlyNote,
        h('div', { class: 'workspace' },
          h('nav', { class: 'outline', 'aria-labelledby': 'outline-title' }, h('h2', { id: 'outline-title', 'data-i18n': 'outline.title' }), outline),
          editorBox,
          h('aside', { class: 'side', 'data-i18n-label': 'side.label' },
            h('div', { class: 'side-tabs', role: 'tablist' }, previewTab, commentsTab),
            previewPanel, commentsPanel))),
      committeeBox, historyBox, exportsBox))

  applyRole()
  const renderPresence = startPresence(live.awareness, me, presence)
  live.tracker.onChange(renderStatus)
  live.text.observe(() => textChanged())
  textChanged()
  translate(root)
  window.addEventListener('beforeunload', (event) => {
    if (live.unsaved > 0) {
      event.preventDefault()
      event.returnValue = t('status.leave')
    }
  })
  live.provider.on('connection-close', (event) => {
    if (event && event.code === 4205) {
      api.get(documentPath(documentId, '/me')).then((fresh) => { me = fresh; applyRole() }).catch(() => {})
    }
  })
  openEvents(documentId, token, [
    (kind, data) => comments.onEvent(kind, data),
    (kind, data) => { if (!committeeBox.hidden) committee.onEvent(kind, data) }
  ])
  onLanguage(() => {
    translate(root)
    applyRole()
    renderStatus()
    renderPresence()
    comments.render()
    committee.render()
    if (!historyBox.hidden) history.render()
    if (!exportsBox.hidden) renderExports()
    textChanged()
  })
  // Tests and the curious can reach the live document from the console.
  window.palabre = { live, editor, me }
}

async function start () {
  const token = takeInvitation(window.location, window.history, storage)
  const match = /^\/d\/([0-9a-fA-F-]{36})\/?$/.exec(window.location.pathname)
  if (!token) return signInPage(null)
  const api = new Api(token)
  try {
    if (match) await documentPage(api, token, match[1].toLowerCase())
    else await documentsPage(api)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signInPage('auth.invalid')
    fill(root, h('main', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, error.message)))
  }
}

initLanguage(storage)
registerServiceWorker()
onLanguage(() => { if (!window.palabre) translate(root) })
// A link opened in a tab already showing the page only changes the fragment.
window.addEventListener('hashchange', () => { if (/invite=/.test(window.location.hash)) window.location.reload() })
start()
