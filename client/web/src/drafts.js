// Panels re-render when live events arrive; what a person was typing (a reason, a reply,
// a comment, ticked attendance) and where their keyboard focus was must survive that.
// Fields name themselves with data-draft="KEY"; buttons are found again by their classes.
export class Drafts {
  constructor (container) {
    this.container = container
    this.values = new Map()
    container.addEventListener('input', (event) => {
      const field = event.target
      const key = field.dataset && field.dataset.draft
      if (key) this.values.set(key, field.type === 'checkbox' ? field.checked : field.value)
    })
  }

  // Call before re-rendering: where the focus is, as a selector to find it again.
  focused () {
    const active = document.activeElement
    if (!active || !this.container.contains(active)) return null
    if (active.dataset.draft) return `[data-draft="${CSS.escape(active.dataset.draft)}"]`
    if (active.tagName === 'BUTTON' && active.className) {
      return 'button.' + active.className.trim().split(/\s+/).map((c) => CSS.escape(c)).join('.')
    }
    return null
  }

  // Call after re-rendering.
  restore (focus) {
    for (const field of this.container.querySelectorAll('[data-draft]')) {
      const key = field.dataset.draft
      if (!this.values.has(key)) continue
      if (field.type === 'checkbox') field.checked = this.values.get(key)
      else field.value = this.values.get(key)
    }
    const target = focus && this.container.querySelector(focus)
    if (target) target.focus()
  }

  forget (prefix = '') {
    for (const key of [...this.values.keys()]) if (key.startsWith(prefix)) this.values.delete(key)
  }
}
