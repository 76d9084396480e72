// History, for readers rather than auditors: who wrote when (editing sessions, with what
// they wrote in characters and the sections they worked in), the suggestions made and
// decided (suggestion_history.js), the text at any moment (a
// slider that steps from one session's end to the next, with previous/next buttons for a
// thumb, plain or coloured by author or organisation), the difference between two moments
// counted in words and paragraphs, and the approved versions with their decision. Moments are
// named by their date and time ("Texte du 1er décembre à 21 h 59"); fingerprints and log
// positions sit one click away, for those who check.
//
// One state drives the slider's thumb, its label and the text shown: moving the slider sets
// it at once and a request answered late is dropped, so switching colours mid-slide can never
// leave the thumb, the label and the text at different moments.
import { h, fill } from './dom.js'
import { t, formatMoment, formatClock, ofName } from './i18n.js'
import { documentPath } from './api.js'
import { renderWordDiff } from './diffview.js'
import { exportButtons } from './exports.js'
import { changeNote } from './changenote.js'
import { explain } from './errors.js'
import { countsLine, checkDetails } from './record.js'
import { suggestionHistory } from './suggestion_history.js'

const SLIDE_DELAY_MS = 200 // the text follows the slider once it rests this long
const RANK = { version: 3, session: 2, now: 1, start: 0 }

function sameDay (a, b) {
  return new Date(a).toDateString() === new Date(b).toDateString()
}

export class HistoryPanel {
  constructor ({ api, documentId, colours, container }) {
    Object.assign(this, { api, documentId, colours, container })
    this.mode = 'text' // 'text', 'members' or 'organisations'
    this.loaded = false
    this.points = []
    this.index = 0
    this.seq = 0
    this.shown = null // { mode, position, data }: what the view holds
    this.pending = null // events that arrive while the history is being read
    this.view = h('div', { class: 'history-text', 'aria-live': 'polite' })
    this.diffView = h('div', { class: 'history-diff' })
    this.error = h('p', { class: 'error', role: 'alert' })
  }

  path (rest) { return documentPath(this.documentId, rest) }
  get point () { return this.points[this.index] }

  async reload () {
    const pending = this.pending = []
    let document, sessions, versions, proposals, suggestions
    try {
      [document, sessions, versions, proposals, suggestions] = await Promise.all([
        this.api.get(this.path('')), this.api.get(this.path('/history')),
        this.api.get(this.path('/versions')), this.api.get(this.path('/proposals')),
        this.api.get(this.path('/suggestions'))
      ])
    } finally {
      if (this.pending === pending) this.pending = null
    }
    const wasNow = !this.loaded || this.index === this.points.length - 1
    const position = this.loaded ? this.point.position : null
    this.latest = document.contributions
    this.sessions = sessions.sessions
    this.versions = versions.versions
    this.suggestions = suggestions.suggestions
    this.tallies = new Map(proposals.proposals.map((p) => [p.id, p.tally]))
    this.points = this.buildPoints()
    this.index = wasNow ? this.points.length - 1 : this.indexOf(position)
    this.loaded = true
    this.render()
    for (const [kind, data] of pending) await this.onEvent(kind, data)
    await this.show()
  }

  // A decision made while the tab is open: its version joins the list (one request).
  async onEvent (kind, data) {
    if (this.pending) {
      this.pending.push([kind, data])
      return
    }
    if (this.loaded && /^suggestion\.(made|accepted|rejected|withdrawn)$/.test(kind)) {
      const { suggestions } = await this.api.get(this.path('/suggestions'))
      this.suggestions = suggestions
      if (this.suggestionsBox) this.suggestionsBox.replaceWith(this.suggestionsBox = suggestionHistory(suggestions, this.colours))
      return
    }
    if (!this.loaded || kind !== 'proposal.closed' || !data || !data.version) return
    const { versions } = await this.api.get(this.path('/versions'))
    const position = this.point.position
    this.versions = versions
    this.tallies.set(data.id, data.tally)
    this.points = this.buildPoints()
    this.index = this.indexOf(position)
    this.render()
  }

  // The moments the slider stops at: the start, each session's end, each version, now.
  buildPoints () {
    const found = new Map()
    const add = (point) => {
      const there = found.get(point.position)
      if (!there || RANK[point.kind] > RANK[there.kind]) found.set(point.position, point)
    }
    add({ kind: 'start', position: 0 })
    for (const s of this.sessions) add({ kind: 'session', position: s.last, time: s.end, name: s.member })
    for (const v of this.versions) add({ kind: 'version', position: v.position, time: v.decided_at, number: v.number, label: v.label })
    add({ kind: 'now', position: this.latest })
    return [...found.values()].sort((a, b) => a.position - b.position)
  }

  indexOf (position) {
    let best = 0
    this.points.forEach((point, index) => { if (point.position <= position) best = index })
    return best
  }

  describe (point) {
    if (point.kind === 'start') return t('history.pointStart')
    if (point.kind === 'version') return t('history.pointVersion', { n: point.number, label: point.label })
    if (point.kind === 'session') return t('history.pointSession', { when: formatMoment(point.time), ofName: ofName(point.name) })
    return t('history.pointNow')
  }

  // Move to a moment: thumb and label at once, the text after the slider rests.
  go (index, { now = false } = {}) {
    this.index = Math.max(0, Math.min(this.points.length - 1, index))
    this.updateSlider()
    clearTimeout(this.sliding)
    if (now) this.show()
    else this.sliding = setTimeout(() => this.show(), SLIDE_DELAY_MS)
  }

  updateSlider () {
    if (!this.parts) return
    const { slider, label, previous, next, step } = this.parts
    const point = this.point
    slider.value = String(this.index)
    slider.dataset.position = String(point.position)
    slider.setAttribute('aria-valuetext', this.describe(point))
    label.textContent = this.describe(point)
    label.dataset.position = String(point.position)
    step.textContent = t('history.step', { n: this.index + 1, total: this.points.length })
    previous.disabled = this.index === 0
    next.disabled = this.index === this.points.length - 1
  }

  async show () {
    clearTimeout(this.sliding)
    const seq = ++this.seq
    const { position } = this.point
    const mode = this.mode
    this.view.setAttribute('aria-busy', 'true')
    try {
      const data = mode === 'text'
        ? await this.api.text(this.path(`/history/at?position=${position}`))
        : await this.api.get(this.path(`/authorship?at=${position}`))
      if (seq !== this.seq) return // a later move or mode asked for something else
      this.error.textContent = ''
      this.shown = { mode, position, data }
      this.renderView()
    } catch (error) {
      if (seq === this.seq) this.error.textContent = explain(error)
    } finally {
      if (seq === this.seq) this.view.removeAttribute('aria-busy')
    }
  }

  renderView () {
    if (!this.shown) return
    const { mode, position, data } = this.shown
    this.view.dataset.position = String(position)
    this.view.dataset.mode = mode
    if (mode === 'text') fill(this.view, h('pre', {}, data))
    else this.renderAuthorship(data, mode)
  }

  renderAuthorship (authorship, mode) {
    const byMember = mode === 'members'
    const colour = (name) => byMember ? this.colours.memberNamed(name) : this.colours.organisationNamed(name)
    const key = byMember ? 'member' : 'organisation'
    const shares = Object.entries(authorship.shares[byMember ? 'members' : 'organisations'])
      .sort((a, b) => b[1] - a[1])
    fill(this.view,
      h('ul', { class: 'legend' }, shares.map(([name, chars]) => h('li', { dataset: { name } },
        h('span', { class: 'swatch', style: `background: ${colour(name).light}; border-color: ${colour(name).colour}` }),
        t('history.legendChars', { name, n: chars })))),
      h('pre', { class: 'authorship' }, authorship.runs.map((run) => h('span', {
        style: `background: ${colour(run[key]).light}; box-shadow: inset 0 -2px ${colour(run[key]).colour}`,
        title: `${run.member} · ${run.organisation} (${run.country})`
      }, run.text))))
  }

  setMode (mode) {
    this.mode = mode
    for (const button of this.container.querySelectorAll('.modes button')) {
      button.setAttribute('aria-pressed', String(button.dataset.mode === mode))
    }
    this.show()
  }

  // The whole panel, around the view that keeps its text: on load, on a new version and
  // when the language changes.
  render () {
    if (!this.loaded) return
    this.suggestionsBox = suggestionHistory(this.suggestions, this.colours)
    fill(this.container, this.error, this.renderSessions(), this.suggestionsBox, this.renderAt(), this.renderDiff(), this.renderVersions())
    this.updateSlider()
    this.renderView()
  }

  renderSessions () {
    return h('section', { class: 'card timeline-card', 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, t('history.sessions')),
      this.sessions.length
        ? h('ol', { class: 'timeline' }, [...this.sessions].reverse().map((s) => {
          const sections = s.sections.filter(Boolean).map((title) => `« ${title} »`).join(', ')
          const end = sameDay(s.start, s.end) ? formatClock(s.end) : formatMoment(s.end)
          const when = formatMoment(s.start).endsWith(end) ? formatMoment(s.start) : `${formatMoment(s.start)} – ${end}`
          return h('li', { class: 'session', dataset: { member: s.member_id }, style: `--person: ${this.colours.member(s.member_id).colour}` },
            h('p', { class: 'session-when' }, when),
            h('p', {}, h('strong', {}, s.member), ` · ${s.organisation} (${s.country})`),
            h('p', { class: 'muted' }, t('history.sessionStats', { added: s.added, removed: s.removed }),
              sections ? [' · ', t('history.sessionSections', { sections })] : null),
            h('button', { type: 'button', class: 'link read-session', onclick: () => this.go(this.indexOf(s.last), { now: true }) },
              t('history.readSession')))
        }))
        : h('p', { class: 'muted' }, t('history.noSessions')))
  }

  renderAt () {
    const slider = h('input', {
      type: 'range',
      min: 0,
      max: Math.max(0, this.points.length - 1),
      step: 1,
      value: this.index,
      class: 'history-slider',
      'aria-label': t('history.slider'),
      oninput: (e) => this.go(Number(e.target.value))
    })
    const previous = h('button', { type: 'button', class: 'step previous', 'aria-label': t('history.previousLabel'), onclick: () => this.go(this.index - 1, { now: true }) }, t('history.previous'))
    const next = h('button', { type: 'button', class: 'step next', 'aria-label': t('history.nextLabel'), onclick: () => this.go(this.index + 1, { now: true }) }, t('history.next'))
    const label = h('p', { class: 'slider-value', 'aria-live': 'polite' })
    const step = h('span', { class: 'muted slider-step' })
    this.parts = { slider, label, previous, next, step }
    const mode = (value, key) => h('button', {
      type: 'button',
      'aria-pressed': String(this.mode === value),
      class: `mode-${value}`,
      dataset: { mode: value },
      onclick: () => this.setMode(value)
    }, t(key))
    return h('section', { class: 'card', 'aria-labelledby': 'at-title' },
      h('h2', { id: 'at-title' }, t('history.at')),
      label,
      h('div', { class: 'slider' }, previous, slider, next),
      step,
      h('div', { class: 'row modes', role: 'group', 'aria-label': t('history.colours') },
        mode('text', 'history.plain'), mode('members', 'history.byMember'), mode('organisations', 'history.byOrganisation')),
      exportButtons(this.api, this.documentId, () => ({ at: this.point.position })),
      this.view)
  }

  renderDiff () {
    const last = this.points.length - 1
    const lastVersion = this.versions.length ? this.indexOf(this.versions[this.versions.length - 1].position) : -1
    const before = lastVersion >= 0 && lastVersion < last ? lastVersion : Math.max(0, last - 1)
    const select = (name, selected) => h('select', { name, 'aria-label': t(`history.${name}`) },
      this.points.map((point, index) => h('option', { value: index, selected: index === selected }, this.describe(point))))
    const from = select('from', before)
    const to = select('to', last)
    const compare = async () => {
      const [a, b] = [this.points[Number(from.value)], this.points[Number(to.value)]]
      try {
        const diff = await this.api.get(this.path(`/diff?from=${a.position}&to=${b.position}`))
        fill(this.diffView, h('h3', {}, t('history.diffBetween', { from: this.describe(a), to: this.describe(b) })),
          renderWordDiff(diff.words))
      } catch (error) {
        this.error.textContent = explain(error)
      }
    }
    return h('section', { class: 'card', 'aria-labelledby': 'diff-title' },
      h('h2', { id: 'diff-title' }, t('history.diff')),
      h('div', { class: 'compare-points' }, h('label', {}, t('history.from'), from), h('label', {}, t('history.to'), to),
        h('button', { type: 'button', class: 'compare', onclick: compare }, t('history.compare'))),
      this.diffView)
  }

  renderVersions () {
    return h('section', { class: 'card versions', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, t('versions.title')),
      this.versions.length
        ? h('ol', {}, [...this.versions].reverse().map((v) => {
          const tally = this.tallies.get(v.proposal_id)
          return h('li', { class: 'version' },
            h('h3', {}, `v${v.number} — ${v.label}`),
            h('p', {}, t('versions.decided', { when: formatMoment(v.decided_at) })),
            h('p', {}, v.ok
              ? h('span', { class: 'ok' }, t('versions.ok'))
              : h('span', { class: 'error' }, t('versions.mismatch', { problem: v.problem || '' }))),
            tally
              ? h('p', { class: 'decision-record' }, countsLine(tally), ' · ',
                t('decision.voted', { voted: tally.voted, eligible: tally.voting_organisations }), ' · ',
                t(tally.quorum_met ? 'quorum.met' : 'quorum.missed'))
              : null,
            checkDetails([
              t('check.sha256', { hash: v.sha256 }),
              t('check.point', { n: v.position }),
              v.chain_head ? t('check.chain', { head: v.chain_head, position: v.chain_position }) : null
            ].filter(Boolean)),
            h('button', { type: 'button', class: 'link read-version', onclick: () => this.go(this.indexOf(v.position), { now: true }) },
              t('versions.read')),
            v.number > 1
              ? changeNote(this.api, this.path(`/versions/${v.number - 1}/changes/${v.number}`), {
                summary: t('changes.since', { n: v.number - 1 })
              })
              : null,
            exportButtons(this.api, this.documentId, { version: v.number }))
        }))
        : h('p', { class: 'muted' }, t('versions.none')))
  }
}
