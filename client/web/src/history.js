// History: the editing sessions as a timeline, the suggestions made and decided, a slider to
// read the text at any point (plain, or coloured by author or organisation), the diff between
// any two points or versions, and the approved versions with their decision record and their
// exports.
import { h, fill, colourFor } from './dom.js'
import { t, formatTime } from './i18n.js'
import { documentPath } from './api.js'
import { renderWordDiff } from './diffview.js'
import { exportButtons } from './exports.js'
import { renderSuggestionHistory } from './suggestion_history.js'

// The sections a session touched, without the half-typed headings it passed through.
function sections (session) {
  const named = session.sections.filter(Boolean)
  return named.filter((title, i) => !named.some((other, j) => j !== i && other.length > title.length && other.startsWith(title)))
}

export class HistoryPanel {
  constructor ({ api, documentId, container }) {
    Object.assign(this, { api, documentId, container })
    this.mode = 'text' // 'text', 'members' or 'organisations'
    this.position = null
    this.latest = 0
    this.sessions = []
    this.versions = []
    this.view = h('div', { class: 'history-text', 'aria-live': 'polite' })
    this.diffView = h('div', { class: 'history-diff' })
    this.error = h('p', { class: 'error', role: 'alert' })
    this.suggestions = h('section', { class: 'card suggestion-history', 'aria-labelledby': 'suggestion-history-title' })
  }

  path (rest) { return documentPath(this.documentId, rest) }

  async reload () {
    const [document, sessions, versions] = await Promise.all([
      this.api.get(this.path('')), this.api.get(this.path('/history')), this.api.get(this.path('/versions'))
    ])
    this.latest = document.contributions
    this.sessions = sessions.sessions
    this.versions = versions.versions
    // Each version's decision record: its tally (the list leaves it out).
    const details = await Promise.all(this.versions.map((v) => this.api.get(this.path(`/versions/${v.number}`))))
    this.tallies = new Map(details.map((d) => [d.number, d.tally]))
    if (this.position === null || this.position > this.latest) this.position = this.latest
    this.render()
    await Promise.all([this.show(this.position), this.renderSuggestions()])
  }

  async renderSuggestions () {
    try {
      await renderSuggestionHistory(this.api, this.documentId, this.suggestions)
    } catch (error) {
      this.error.textContent = error.message
    }
  }

  async show (position) {
    this.position = position
    const label = this.container.querySelector('.slider-value')
    if (label) label.textContent = t('history.position', { n: position, total: this.latest })
    try {
      if (this.mode === 'text') {
        const text = await this.api.text(this.path(`/history/at?position=${position}`))
        if (this.position === position) fill(this.view, h('pre', {}, text))
      } else {
        const authorship = await this.api.get(this.path(`/authorship?at=${position}`))
        if (this.position === position) this.renderAuthorship(authorship)
      }
    } catch (error) {
      this.error.textContent = error.message
    }
  }

  renderAuthorship (authorship) {
    const key = this.mode === 'members' ? 'member' : 'organisation'
    const shares = authorship.shares[this.mode === 'members' ? 'members' : 'organisations']
    fill(this.view,
      h('ul', { class: 'legend' }, Object.entries(shares).map(([name, chars]) => h('li', {},
        h('span', { class: 'swatch', style: `background: ${colourFor(name).light}; border-color: ${colourFor(name).colour}` }),
        `${name} (${chars})`))),
      h('pre', { class: 'authorship' }, authorship.runs.map((run) => h('span', {
        style: `background: ${colourFor(run[key]).light}`,
        title: `${run.member} · ${run.organisation} (${run.country})`
      }, run.text))))
  }

  renderTally (tally) {
    if (!tally) return null
    return h('p', { class: 'decision-record' }, t('decision.tally', {
      approve: tally.approve, abstain: tally.abstain, object: tally.object,
      voted: tally.voted, eligible: tally.voting_organisations
    }), ' · ', tally.quorum_met ? t('decision.quorumMet') : t('decision.quorumMissed'))
  }

  async compare (from, to) {
    try {
      const diff = await this.api.get(this.path(`/diff?from=${from}&to=${to}`))
      fill(this.diffView, h('h3', {}, t('history.diffBetween', { from, to })), renderWordDiff(diff.words))
    } catch (error) {
      this.error.textContent = error.message
    }
  }

  render () {
    let timer = null
    const slider = h('input', {
      type: 'range', min: 0, max: this.latest, step: 1, value: this.position,
      class: 'history-slider', 'aria-label': t('history.slider'),
      oninput: (e) => {
        clearTimeout(timer)
        const value = Number(e.target.value)
        this.container.querySelector('.slider-value').textContent = t('history.position', { n: value, total: this.latest })
        timer = setTimeout(() => this.show(value), 200)
      }
    })
    const mode = (value, key) => h('button', {
      type: 'button',
      'aria-pressed': String(this.mode === value),
      class: `mode-${value}`,
      onclick: () => { this.mode = value; this.render(); this.show(this.position) }
    }, t(key))
    const points = [{ label: t('history.start'), position: 0 },
      ...this.versions.map((v) => ({ label: `v${v.number} — ${v.label}`, position: v.position })),
      { label: t('history.now'), position: this.latest }]
    const pointSelect = (name, selected) => h('select', { name, 'aria-label': t(`history.${name}`) },
      points.map((p) => h('option', { value: p.position, selected: p.position === selected }, `${p.label} (${p.position})`)))
    const from = pointSelect('from', this.versions.length ? this.versions[this.versions.length - 1].position : 0)
    const to = pointSelect('to', this.latest)
    fill(this.container,
      this.error,
      h('section', { class: 'card timeline-card', 'aria-labelledby': 'sessions-title' },
        h('h2', { id: 'sessions-title' }, t('history.sessions')),
        this.sessions.length
          ? h('ol', { class: 'timeline' }, [...this.sessions].reverse().map((s) => h('li', {
            style: `--person: ${colourFor(s.member_id).colour}`
          },
          h('button', {
            type: 'button',
            class: 'link',
            onclick: () => { slider.value = s.last; this.show(s.last) }
          }, `${formatTime(s.start)} – ${formatTime(s.end)}`),
          ` ${s.member} · ${s.organisation} (${s.country}) · `,
          t('history.sessionStats', { n: s.contributions, added: s.added, removed: s.removed }),
          sections(s).length ? h('span', { class: 'muted' }, ` · ${sections(s).join(', ')}`) : null)))
          : h('p', { class: 'muted' }, t('history.noSessions'))),
      this.suggestions,
      h('section', { class: 'card', 'aria-labelledby': 'at-title' },
        h('h2', { id: 'at-title' }, t('history.at')),
        h('label', { class: 'slider' }, slider, h('span', { class: 'slider-value' },
          t('history.position', { n: this.position, total: this.latest }))),
        h('div', { class: 'row', role: 'group', 'aria-label': t('history.colours') },
          mode('text', 'history.plain'), mode('members', 'history.byMember'), mode('organisations', 'history.byOrganisation')),
        exportButtons(this.api, this.documentId, { at: this.position }),
        this.view),
      h('section', { class: 'card', 'aria-labelledby': 'diff-title' },
        h('h2', { id: 'diff-title' }, t('history.diff')),
        h('div', { class: 'row' }, h('label', {}, t('history.from'), from), h('label', {}, t('history.to'), to),
          h('button', { type: 'button', class: 'compare', onclick: () => this.compare(Number(from.value), Number(to.value)) }, t('history.compare'))),
        this.diffView),
      h('section', { class: 'card versions', 'aria-labelledby': 'versions-title' },
        h('h2', { id: 'versions-title' }, t('versions.title')),
        this.versions.length
          ? h('ol', {}, [...this.versions].reverse().map((v) => h('li', { class: 'version' },
            h('h3', {}, `v${v.number} — ${v.label}`),
            h('p', {}, t('versions.decided', { when: formatTime(v.decided_at) }), ' · ',
              v.ok ? h('span', { class: 'ok' }, t('versions.ok')) : h('span', { class: 'error' }, t('versions.mismatch', { problem: v.problem || '' }))),
            this.renderTally(this.tallies.get(v.number)),
            h('p', { class: 'muted' }, 'SHA-256 ', h('code', {}, v.sha256), ' · ', t('versions.position', { n: v.position })),
            v.chain_head ? h('p', { class: 'muted' }, t('versions.chain', { head: v.chain_head.slice(0, 16), position: v.chain_position })) : null,
            h('button', { type: 'button', class: 'link', onclick: () => { slider.value = v.position; this.show(v.position) } }, t('versions.read')),
            exportButtons(this.api, this.documentId, { version: v.number }))))
          : h('p', { class: 'muted' }, t('versions.none'))))
  }
}
