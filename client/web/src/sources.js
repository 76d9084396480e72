// Sources: the interviews the text is written from, beside it. The balance of French and
// Togolese sources by section (from the server's coverage report), each interview with its
// organisations, summary and the passages linked to it (its notes only when the server sends
// them: coordinators and its interviewers, for a confidential one), the committee's
// organisations and where they are cited. Select a passage, link it to an interview: it is
// anchored with Yjs relative positions, like a comment, and highlighted in the text.
import * as Y from 'yjs'
import { h, fill } from './dom.js'
import { t, formatDate } from './i18n.js'
import { documentPath } from './api.js'
import { encodePosition, placeRange } from './positions.js'
import { sectionAt } from './outline.js'
import { renderInto } from './markdown.js'
import { explain, Notice } from './errors.js'

const MAX_QUOTE = 2000
const COVERAGE_DELAY = 1500 // ms after typing stops before the coverage is asked again

function markdownBlock (className, text) {
  const block = h('div', { class: `${className} markdown-body` })
  renderInto(block, text)
  return block
}

export class SourcesPanel {
  constructor ({ api, documentId, live, editor, me, container, onCount }) {
    Object.assign(this, { api, documentId, live, editor, me, container, onCount })
    this.interviews = []
    this.report = null
    this.selection = { from: 0, to: 0 }
    this.error = ''
  }

  path (rest) { return documentPath(this.documentId, rest) }

  async reload () {
    const [listed, report] = await Promise.all([
      this.api.get(this.path('/interviews')), this.api.get(this.path('/sources'))
    ])
    this.interviews = listed.interviews
    this.report = report
    this.render()
  }

  schedule (delay) {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.reload().catch((e) => this.fail(e)), delay)
  }

  onEvent (kind) {
    if (kind === 'ready' || kind.startsWith('interview.')) this.schedule(50)
  }

  textChanged () {
    clearTimeout(this.marking)
    this.marking = setTimeout(() => this.markPassages(), 200)
    // Sections move as people type: the coverage is asked again once they pause, while shown.
    if (this.report && !this.container.closest('[hidden]')) this.schedule(COVERAGE_DELAY)
  }

  selectionChanged (from, to) {
    this.selection = { from, to }
    for (const button of this.container.querySelectorAll('button.link-selection')) {
      button.disabled = from === to || to - from > MAX_QUOTE
    }
  }

  // Where a link's passage stands now, in the editor's positions.
  range (link) {
    if (!link.anchor || link.detached) return null
    return placeRange(link.anchor.start, link.anchor.end, this.live.doc)
  }

  markPassages () {
    const links = this.interviews.flatMap((interview) => interview.links)
    this.editor.markSources(links.map((link) => this.range(link)).filter(Boolean))
  }

  mayLink (interview) {
    if (['coordinator', 'editor'].includes(this.me.role)) return true
    return this.me.role === 'commenter' && interview.led_by.some((m) => m.id === this.me.id)
  }

  async link (interview) {
    const { from, to } = this.selection
    if (to <= from) throw new Notice(t('sources.selectFirst'))
    const text = this.live.text.toString()
    const anchor = {
      start: encodePosition(Y.createRelativePositionFromTypeIndex(this.live.text, from)),
      end: encodePosition(Y.createRelativePositionFromTypeIndex(this.live.text, to, -1))
    }
    await this.api.post(this.path(`/interviews/${interview.id}/links`), {
      quote: text.slice(from, to), section: sectionAt(text, from), anchor
    })
    await this.reload()
  }

  fail (error) {
    this.error = explain(error)
    this.render()
  }

  render () {
    this.onCount(this.interviews.length)
    fill(this.container,
      this.error ? h('p', { class: 'error', role: 'alert' }, this.error) : null,
      this.report ? this.renderBalance() : h('p', { class: 'muted' }, t('app.loading')),
      this.renderInterviews(),
      this.report ? this.renderOrganisations() : null)
    this.markPassages()
  }

  renderBalance () {
    const { sections, countries } = this.report
    const row = (section) => {
      const [fr, tg] = [section.countries.FR, section.countries.TG]
      const state = !section.interviews.length ? 'unsourced' : (!fr || !tg) ? 'unbalanced' : 'balanced'
      return h('tr', { class: state },
        h('th', { scope: 'row' }, section.heading || t('sources.preamble')),
        h('td', {}, String(section.interviews.length)), h('td', {}, String(fr)), h('td', {}, String(tg)))
    }
    return h('section', { class: 'balance', 'aria-labelledby': 'sources-balance' },
      h('h3', { id: 'sources-balance' }, t('sources.balance')),
      h('p', {}, t('sources.totals', { fr: countries.FR, tg: countries.TG })),
      h('table', { class: 'coverage' },
        h('thead', {}, h('tr', {}, ['section', 'interviews', 'france', 'togo'].map((key) =>
          h('th', { scope: 'col' }, t(`sources.column.${key}`))))),
        h('tbody', {}, sections.map(row))))
  }

  renderInterviews () {
    return h('section', { class: 'interviews', 'aria-labelledby': 'sources-interviews' },
      h('h3', { id: 'sources-interviews' }, t('sources.interviews', { n: this.interviews.length })),
      this.interviews.length
        ? h('ol', { class: 'interview-list' }, this.interviews.map((interview) => this.renderInterview(interview)))
        : h('p', { class: 'muted' }, t('sources.none')),
      this.interviews.some((interview) => this.mayLink(interview))
        ? h('p', { class: 'muted hint' }, t('sources.selectFirst'))
        : null)
  }

  renderInterview (interview) {
    const error = h('p', { class: 'error', role: 'alert' })
    const heard = interview.organisations.map((o) => `${o.name} (${t(`country.${o.country}`)})`).join(', ')
    const { from, to } = this.selection
    return h('li', { class: 'interview', dataset: { id: interview.id } },
      h('p', { class: 'byline' }, h('strong', {}, formatDate(interview.date)), ' · ',
        t(`interview.${interview.mode}`), interview.place ? ` · ${interview.place}` : '',
        ' · ', interview.quotable ? t('sources.quotable') : t('sources.notQuotable')),
      h('p', { class: 'heard' }, heard),
      interview.summary ? markdownBlock('summary', interview.summary) : null,
      this.renderNotes(interview),
      h('ul', { class: 'links' }, interview.links.map((link) => this.renderLink(link))),
      this.mayLink(interview)
        ? h('button', {
          type: 'button',
          class: 'link-selection',
          disabled: from === to || to - from > MAX_QUOTE,
          onclick: () => this.link(interview).catch((e) => { error.textContent = explain(e) })
        }, t('sources.linkSelection'))
        : null,
      error)
  }

  renderNotes (interview) {
    if (interview.notes_visible && interview.notes) {
      return h('details', { class: 'notes' },
        h('summary', {}, interview.confidential ? t('sources.notesConfidential') : t('sources.notes')),
        markdownBlock('notes-text', interview.notes))
    }
    if (!interview.notes_visible && interview.notes_seal) {
      return h('p', { class: 'muted notes-hidden' }, t('sources.notesHidden'))
    }
    return null
  }

  renderLink (link) {
    const where = this.range(link)
    return h('li', { class: `source-link${link.detached ? ' detached' : ''}` },
      h('button', {
        type: 'button',
        class: 'quote',
        disabled: !where,
        title: where ? t('sources.goTo') : t('sources.detached'),
        onclick: () => {
          const now = this.range(link)
          if (now) this.editor.select(now.from, now.to)
        }
      }, `« ${link.quote} »`),
      link.detached ? h('span', { class: 'muted' }, ` ${t('sources.detached')}`) : null)
  }

  renderOrganisations () {
    return h('section', { class: 'organisations', 'aria-labelledby': 'sources-organisations' },
      h('h3', { id: 'sources-organisations' }, t('sources.organisations')),
      h('ul', {}, this.report.organisations.map((o) => h('li', { class: o.interviewed ? 'interviewed' : 'not-interviewed' },
        h('strong', {}, o.name), ` (${t(`country.${o.country}`)}) · `,
        o.interviewed ? t('sources.interviewed') : t('sources.notInterviewed'), ' · ',
        o.sections.length
          ? t('sources.citedIn', { sections: o.sections.map((s) => s || t('sources.preamble')).join(', ') })
          : t('sources.notCited')))))
  }
}
