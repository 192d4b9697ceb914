// DOM helpers. Every server string reaches the page through textContent or an
// attribute set with setAttribute, never as markup, so a file called
// `<img src=x onerror=…>.mp4` shows as exactly that text.

/** The element with this id; a missing one is a bug in index.html, so fail loudly. */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`index.html has no element #${id}`);
  return element;
}

/** The first element under ``root`` matching ``selector``; fails loudly like byId. */
export function find(root, selector) {
  const element = root.querySelector(selector);
  if (element === null) throw new Error(`no ${selector} in #${root.id || root.tagName}`);
  return element;
}

/** A fresh copy of a <template>'s single top-level element. */
export function fromTemplate(id) {
  const template = byId(id);
  const element = template.content.firstElementChild;
  if (element === null) throw new Error(`template #${id} is empty`);
  return element.cloneNode(true);
}

/** Set an element's text (server strings included: this is the escaping). */
export function setText(element, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (element.textContent !== value) element.textContent = value;
}

/** Show or hide an element with the hidden attribute. */
export function show(element, visible) {
  element.hidden = !visible;
}

/** Replace an element's children with ``children`` (an iterable of nodes). */
export function replaceChildren(element, children) {
  element.replaceChildren(...children);
}

/** A new element with text content; for small lists the templates would overdo. */
export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** Controls inside ``root`` that Tab can reach, in document order. */
export function tabbable(root) {
  const candidates = root.querySelectorAll(
    'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])',
  );
  return [...candidates].filter(
    (node) => !node.disabled && node.tabIndex >= 0 && node.getClientRects().length > 0,
  );
}

/**
 * The items of a numbered page list: a link per number (`null` is a gap), the current one
 * marked. `urlOf(number)` gives each link's address, `labelOf(number)` its accessible name.
 */
export function pageNumberItems(numbers, current, urlOf, labelOf) {
  return numbers.map((number) => {
    const item = element("li");
    if (number === null) {
      item.append(element("span", "…", "gap"));
      item.setAttribute("aria-hidden", "true");
      return item;
    }
    const link = element("a", String(number));
    link.setAttribute("href", urlOf(number));
    link.dataset.route = "";
    link.setAttribute("aria-label", labelOf(number));
    if (number === current) link.setAttribute("aria-current", "page");
    item.append(link);
    return item;
  });
}
