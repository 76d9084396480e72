// A tiny element builder: h('button', {class: 'x', onclick}, 'label', child, ...), and fill()
// to replace an element's children.
export function h (tag, attrs = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value)
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value)
    } else if (value === true) {
      element.setAttribute(name, '')
    } else {
      element.setAttribute(name, String(value))
    }
  }
  append(element, children)
  return element
}

function append (element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(element, child)
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

// Replace an element's children.
export function fill (element, ...children) {
  element.replaceChildren()
  append(element, children)
  return element
}

// Make `parent`'s children exactly `children`, in order, moving only what must move: an
// element already in place is left alone, so a field being typed in keeps its focus.
export function reconcile (parent, children) {
  let cursor = parent.firstChild
  for (const child of children) {
    if (child === cursor) {
      cursor = cursor.nextSibling
      continue
    }
    parent.insertBefore(child, cursor)
  }
  while (cursor) {
    const next = cursor.nextSibling
    cursor.remove()
    cursor = next
  }
}
