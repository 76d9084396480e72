// The page: sign in, then the document's workspace (text, committee, history, exports).
// It owns the layout (a compact header so the text starts in the first screen, on a laptop
// and on a phone), the tabs and what each loads, the member list that colours everyone
// (kept current by the live channel), and the routing of live events to the panels. A tab
// whose loading fails says why and offers to try again.
//
// Why one file of over 400 lines: it is the page's composition root; every panel is made and
// wired here, once, and nowhere else.
import { h, fill } from './dom.js'
import { Api, ApiError, documentPath } from './api.js'
import { takeInvitation, saveToken, signOut } from './auth.js'
import { initLanguage, setLanguage, currentLanguage, onLanguage, t, translate } from './i18n.js'
import { LiveDocument } from './live.js'
import { createEditor } from './editor.js'
import { renderToolbar } from './toolbar.js'
import { headings, plainHeading, renderOutline } from './outline.js'
import { previewer, preloadMarkdown } from './markdown.js'
import { Presence } from './presence.js'
import { Colours } from './colours.js'
import { CommentsPanel } from './comments.js'
import { SuggestionsPanel } from './suggestions.js'
import { suggesting } from './suggesting.js'
import { SourcesPanel } from './sources.js'
import { CommitteePanel } from './committee.js'
import { HistoryPanel } from './history.js'
import { exportButtons } from './exports.js'
import { openEvents } from './events.js'
import { registerServiceWorker, lastKnown, keptFirst, hasKept, isRefusal } from './offline.js'
import { EarlyText, fetchText } from './early.js'
import { errorText, failure } from './errors.js'
import { UnsavedWarning, warnAfter } from './unsaved.js'

const storage = window.localStorage
const root = document.getElementById('app')
const WIDE = window.matchMedia('(min-width: 1001px)') // the outline sits beside the text
const KEPT_TEXT_AFTER_MS = 200

function languageButton () {
  return h('button', {
    type: 'button',
    class: 'lang',
    'data-i18n-label': 'lang.switchLabel',
    onclick: () => setLanguage(storage, currentLanguage() === 'fr' ? 'en' : 'fr')
  }, h('span', { class: 'long', 'data-i18n': 'lang.switch' }), h('span', { class: 'short', 'data-i18n': 'lang.short' }))
}

function signInPage (message) {
  const input = h('input', { id: 'token', name: 'token', autocomplete: 'off', required: true })
  fill(root, h('main', { class: 'sign-in card' },
    h('div', { class: 'row end' }, languageButton()),
    h('h1', { 'data-i18n': 'auth.title' }),
    message ? h('p', { class: 'error', role: 'alert', 'data-i18n': message }) : null,
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

// A tab's panel: a slot that says when loading failed, then the panel's own content.
function tabPanel (name) {
  const slot = h('div', { class: 'panel-status' })
  const content = h('div', { class: `panel-content content-${name}` })
  const panel = h('div', { id: `panel-${name}`, role: 'tabpanel', 'aria-labelledby': `tab-${name}`, class: 'panel', hidden: true }, slot, content)
  return { panel, slot, content }
}

// Load a tab's content; meanwhile say so, and on failure say why and offer to try again.
function loading (slot, task) {
  const run = () => {
    fill(slot, h('p', { class: 'muted loading' }, t('app.loading')))
    return Promise.resolve().then(task).then(() => fill(slot), (error) => failure(slot, error, run))
  }
  return run
}

// The member list, as GET .../members gives it, kept current by the live channel.
function followRoster (roster, kind, data) {
  const list = roster.members
  const index = data && list.findIndex((m) => m.id === data.id)
  if (kind === 'member.added' && index < 0) list.push(data)
  else if (kind === 'member.changed' && index >= 0) list[index] = data
  else if (kind === 'member.removed' && index >= 0) {
    if (data.role === null) list.splice(index, 1)
    else list[index] = { ...list[index], role: data.role }
  } else if (kind === 'organisation.voting') {
    for (const m of list) if (m.organisation_id === data.id) m.organisation_votes = data.votes
  } else return false
  roster.colours.setMembers(list)
  return true
}

// What the first screen does not need waits until the document has synced (or 20 s): the
// service worker's install (it fetches every asset, chunks not loaded yet included) and the
// Markdown renderer, so that neither takes a weak link's bandwidth from the first sync.
function afterOpening (live, work) {
  let done = false
  const run = () => { if (!done) { done = true; work() } }
  live.provider.on('sync', (synced) => { if (synced) run() })
  setTimeout(run, 20000)
}

async function documentPage (api, token, documentId) {
  let me, info, listed, answers
  // Nothing kept from an earlier visit: the text over HTTP, beside the answers (early.js).
  const earlyText = hasKept(api, documentPath(documentId, '/me'))
    .then((kept) => kept ? null : fetchText(api, documentId))
  try {
    // The member list only colours people: without it (offline...) the page still opens,
    // with colours from ids until the list is read again when the live channel starts.
    // Kept answers first (offline.js): the server's follow, below.
    answers = await Promise.all([
      keptFirst(api, documentPath(documentId, '/me')), keptFirst(api, documentPath(documentId)),
      keptFirst(api, documentPath(documentId, '/members')).catch(() => null)
    ])
    ;[me, info, listed] = answers.map((answer) => answer && answer.value)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signInPage('auth.invalid')
    if (error instanceof ApiError && error.status === 403) return signInPage('auth.noRole')
    if (error instanceof ApiError && error.status === 404) return signInPage('auth.unknownDocument')
    throw error
  }
  document.title = `${info.title} — Palabre`
  const colours = new Colours()
  const roster = { members: listed ? listed.members : [], colours, read: listed !== null }
  colours.setMembers(roster.members)
  let closedCode = null
  const live = new LiveDocument({
    documentId,
    memberId: me.id,
    token,
    onClosed: (code) => { closedCode = code; renderStatus() }
  })
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
  const presenceBox = h('div', { class: 'presence' })
  // Before the editor: presence stamps the names and colours y-codemirror draws.
  const presence = new Presence({ awareness: live.awareness, live, me, colours, container: presenceBox })
  const who = h('span', { class: 'me' })
  const titleBox = h('span', { class: 'doc-title' }, info.title)
  const outline = h('div', { class: 'outline-list' })
  const outlineSummary = h('summary', {})
  const outlineBox = h('details', { class: 'outline', open: WIDE.matches },
    outlineSummary, h('h2', { class: 'outline-title', 'data-i18n': 'outline.title' }), outline)
  WIDE.addEventListener('change', () => { outlineBox.open = WIDE.matches })
  const preview = h('div', { class: 'preview markdown-body' })
  const commentsBox = h('div', { class: 'comments' })
  const suggestionsBox = h('div', { class: 'suggestions' })
  const sourcesBox = h('div', { class: 'sources' })
  const editorBox = h('div', { class: 'editor', id: 'editor' })
  const readOnlyNote = h('p', { class: 'note read-only', role: 'status' })
  const loadingNote = h('p', { class: 'note loading-text', role: 'status', hidden: true, 'data-i18n': 'editor.loadingText' })
  const committeeTab = tabPanel('committee')
  const historyTab = tabPanel('history')
  const exportsTab = tabPanel('exports')
  const sideTab = (name, key) => h('button', {
    type: 'button', role: 'tab', id: `side-${name}`, class: `side-tab side-${name}`,
    'aria-selected': String(name === 'comments'), onclick: () => showSide(name)
  }, t(key, { n: 0 }))
  const previewTab = sideTab('preview', 'side.preview')
  const commentsTab = sideTab('comments', 'side.comments')
  const suggestionsTab = sideTab('suggestions', 'side.suggestions')
  const sourcesTab = sideTab('sources', 'side.sources')
  const previewPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-preview', hidden: true }, preview)
  const commentsPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-comments' }, commentsBox)
  const suggestionsPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-suggestions', hidden: true }, suggestionsBox)
  const sourcesPanel = h('div', { role: 'tabpanel', 'aria-labelledby': 'side-sources', hidden: true }, sourcesBox)
  const sides = {
    preview: [previewTab, previewPanel],
    comments: [commentsTab, commentsPanel],
    suggestions: [suggestionsTab, suggestionsPanel],
    sources: [sourcesTab, sourcesPanel]
  }
  function showSide (name) {
    for (const [other, [tab, panel]] of Object.entries(sides)) {
      tab.setAttribute('aria-selected', String(other === name))
      panel.hidden = other !== name
    }
    if (name === 'sources' && sources) sources.reload().catch((error) => sources.fail(error))
    if (name === 'preview') renderPreview(live.text.toString())
  }

  let comments = null // created once the editor exists
  let suggestions = null
  let sources = null
  let marking = null
  const editor = createEditor({
    parent: editorBox,
    live,
    label: t('editor.label'),
    placeholderText: t('editor.placeholder'),
    onChange: (update) => {
      const { from, to } = update.state.selection.main
      if (comments) comments.selectionChanged(from, to)
      if (sources) sources.selectionChanged(from, to)
    },
    // y-codemirror redraws remote cursors on any update: mark their labels again after.
    onUpdate: () => {
      if (marking === null) marking = requestAnimationFrame(() => { marking = null; presence.markCursors() })
    },
    onRefused: () => {
      readOnlyNote.classList.remove('flash')
      void readOnlyNote.offsetWidth // restart the animation
      readOnlyNote.classList.add('flash')
    },
    extensions: [suggesting({
      isOn: () => suggestions !== null && suggestions.on,
      onEdit: (change) => suggestions.edit(change)
    })]
  })
  presence.attachEditor(editorBox)
  const early = new EarlyText({ box: editorBox, editor, live, note: loadingNote, label: t('editor.label') })
  // A later visit: the text as this browser kept it, while IndexedDB gives the document back
  // (if that takes more than KEPT_TEXT_AFTER_MS: a short document's would only flicker).
  earlyText.then((fetched) => {
    if (fetched !== null) return early.show(fetched, { note: true })
    setTimeout(() => live.keptText().then((kept) => early.show(kept, { note: false })), KEPT_TEXT_AFTER_MS)
  })
  afterOpening(live, () => { registerServiceWorker(); preloadMarkdown() })
  const renderPreview = previewer(preview)
  let outlining = null
  function textChanged () {
    const text = live.text.toString()
    if (!previewPanel.hidden) renderPreview(text) // else when shown (showSide)
    clearTimeout(outlining)
    outlining = setTimeout(() => {
      const found = headings(text)
      outlineSummary.textContent = t('outline.summary', { n: found.length })
      renderOutline(outline, found, (position) => editor.select(position, position))
    }, 150)
    if (comments) comments.textChanged()
    if (suggestions) suggestions.textChanged()
    if (sources) sources.textChanged()
  }
  function applyRole () {
    // Commenters type too, in suggesting mode only: their edits become suggestions.
    const readOnly = me.role === 'observer'
    editor.setReadOnly(readOnly)
    readOnlyNote.hidden = ['coordinator', 'editor'].includes(me.role)
    readOnlyNote.textContent = t(readOnly ? 'editor.readOnly' : 'editor.suggestOnly')
    if (suggestions) { suggestions.me = me; suggestions.render() }
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
  suggestions = new SuggestionsPanel({
    api, documentId, live, editor, me, colours, container: suggestionsBox,
    onCount: (n) => { suggestionsTab.textContent = t('side.suggestions', { n }) }
  })
  sources = new SourcesPanel({
    api, documentId, live, editor, me, container: sourcesBox,
    onCount: (n) => { sourcesTab.textContent = t('side.sources', { n }) }
  })
  const committee = new CommitteePanel({ api, documentId, me, roster, container: committeeTab.content })
  const history = new HistoryPanel({ api, documentId, colours, container: historyTab.content })
  let versionsShown = null
  const renderExports = async () => {
    const { versions } = await api.get(documentPath(documentId, '/versions'))
    versionsShown = versions
    drawExports()
  }
  const drawExports = () => {
    if (versionsShown === null) return
    fill(exportsTab.content, h('section', { class: 'card' },
      h('h2', {}, t('exports.title')), h('p', {}, t('exports.intro')),
      h('h3', {}, t('exports.current')), exportButtons(api, documentId, {}, t('exports.current')),
      versionsShown.slice().reverse().map((v) => [h('h3', {}, `v${v.number} — ${v.label}`),
        exportButtons(api, documentId, { version: v.number })])))
  }
  const loaders = {
    text: () => {},
    committee: loading(committeeTab.slot, () => { if (!committee.loaded) return committee.reload() }),
    history: loading(historyTab.slot, () => history.reload()),
    exports: loading(exportsTab.slot, renderExports)
  }

  fill(root,
    h('a', { class: 'skip', href: '#editor', 'data-i18n': 'app.skip' }),
    h('header', { class: 'top' },
      h('div', { class: 'title' }, h('h1', {}, h('span', { class: 'brand' }, 'Palabre'), ' ', titleBox), who),
      status,
      presenceBox,
      h('div', { class: 'account row' }, languageButton(), h('button', {
        type: 'button',
        class: 'sign-out',
        'data-i18n-label': 'auth.signOut',
        onclick: () => {
          if (live.unsaved && !window.confirm(t('auth.signOutUnsaved'))) return
          signOut(storage)
          window.location.assign('/')
        }
      }, h('span', { class: 'long', 'data-i18n': 'auth.signOut' }), h('span', { class: 'short', 'data-i18n': 'auth.signOutShort' })))),
    tabs(['text', 'committee', 'history', 'exports'], (name) => loaders[name]()),
    h('main', {},
      h('div', { id: 'panel-text', role: 'tabpanel', 'aria-labelledby': 'tab-text', class: 'panel' },
        h('div', { class: 'row editing' }, renderToolbar(editor), suggestions.toggle),
        readOnlyNote,
        loadingNote,
        h('div', { class: 'workspace' },
          outlineBox,
          editorBox,
          h('aside', { class: 'side', 'data-i18n-label': 'side.label' },
            h('div', { class: 'side-tabs', role: 'tablist' }, previewTab, commentsTab, suggestionsTab, sourcesTab),
            previewPanel, commentsPanel, suggestionsPanel, sourcesPanel))),
      committeeTab.panel, historyTab.panel, exportsTab.panel))
  const warning = new UnsavedWarning({
    live, title: info.title.replace(/[^\p{L}\p{N}]+/gu, '-'), delay: warnAfter(storage)
  })
  root.append(warning.dialog)

  applyRole()
  live.tracker.onChange(renderStatus)
  live.text.observe(() => textChanged())
  textChanged()
  translate(root)
  window.addEventListener('beforeunload', (event) => {
    if (live.unsaved > 0 || api.pending > 0) {
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
    (kind, data) => suggestions.onEvent(kind, data),
    (kind, data) => sources.onEvent(kind, data),
    (kind, data) => {
      if (followRoster(roster, kind, data)) presence.refresh()
      if (kind === 'ready' && !roster.read) {
        api.get(documentPath(documentId, '/members')).then(rosterRead).catch(() => {})
      }
    },
    (kind, data) => committee.onEvent(kind, data),
    (kind, data) => { history.onEvent(kind, data).catch((error) => failure(historyTab.slot, error, loaders.history)) },
    (kind, data) => {
      if (kind === 'proposal.closed' && data && data.version && versionsShown !== null) loaders.exports()
    }
  ])
  onLanguage(() => {
    translate(root)
    applyRole()
    renderStatus()
    presence.render()
    comments.render()
    suggestions.render()
    sources.render()
    committee.render()
    history.render()
    drawExports()
    textChanged()
  })
  // Tests and the curious can reach the live document from the console.
  window.palabre = { live, editor, early, me, colours, presence, warning, errorText, plainHeading, suggestions }

  // The server's answers, after the kept ones the page may have opened with: `me` is changed
  // in place (every panel holds it); a refusal opens the page again, which then shows it.
  function rosterRead ({ members }) {
    Object.assign(roster, { members, read: true })
    colours.setMembers(members)
    presence.refresh()
    committee.rosterChanged()
  }
  const [meAnswer, infoAnswer, listedAnswer] = answers
  const refused = (error) => { if (isRefusal(error)) window.location.reload() }
  meAnswer.fresh.then((fresh) => { Object.assign(me, fresh); applyRole() }, refused)
  infoAnswer.fresh.then((fresh) => {
    document.title = `${fresh.title} — Palabre`
    fill(titleBox, fresh.title)
  }, refused)
  if (listedAnswer) listedAnswer.fresh.then(rosterRead, () => {})
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
    const slot = h('main', { class: 'page-failed' })
    fill(root, h('div', { class: 'row end' }, languageButton()), slot)
    failure(slot, error, start)
    translate(root)
  }
}

initLanguage(storage)
// A document page registers the service worker once it has opened (afterOpening).
if (!/^\/d\//.test(window.location.pathname)) registerServiceWorker()
onLanguage(() => { if (!window.palabre) translate(root) })
// A link opened in a tab already showing the page only changes the fragment.
window.addEventListener('hashchange', () => { if (/invite=/.test(window.location.hash)) window.location.reload() })
start()
