// A tiny element builder: h('button', {class: 'x', onclick}, 'label', child, ...)
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

// A stable colour for a name or id: the same member has the same colour for everyone.
export function colourFor (key) {
  let hash = 0
  for (const char of String(key)) hash = (hash * 31 + char.codePointAt(0)) >>> 0
  const hue = hash % 360
  return { colour: `hsl(${hue} 70% 35%)`, light: `hsl(${hue} 80% 85%)` }
}
