// Views by URL, with the History API: /library (?q=, ?folder=, ?page=, ?per=),
// /jobs (?kind=, ?status=), /videos/{id}, /scan (?job=); anything else is "not found".
// The server answers each of these paths with the page, so a reload lands on the same view.
// Each history entry remembers where it was scrolled to and which address came before
// it, so Back returns to the same place in the library.

export class Router {
  constructor() {
    this.listeners = [];
  }

  /** Call ``listener(url, how)`` on every change of URL; ``how`` is "start", "push", "replace" or "pop". */
  onChange(listener) {
    this.listeners.push(listener);
  }

  start() {
    // The views restore their own position: the library's page may still be loading.
    window.history.scrollRestoration = "manual";
    document.addEventListener("click", (event) => this.followLink(event));
    window.addEventListener("popstate", () => this.render("pop"));
    this.render("start");
  }

  /** The current location as a URL. */
  get url() {
    return new URL(window.location.href);
  }

  /** The current path and query, e.g. "/library?q=beach". */
  get here() {
    const url = this.url;
    return `${url.pathname}${url.search}`;
  }

  /** Go to ``target`` (a path with query) without reloading. */
  navigate(target, { replace = false, state = null } = {}) {
    const next = new URL(target, window.location.href);
    if (replace) {
      window.history.replaceState(state, "", next);
    } else {
      // Remember this entry's scroll position, and in the next one where it came from.
      window.history.replaceState({ ...(window.history.state ?? {}), scrollY: window.scrollY }, "");
      window.history.pushState({ from: this.here, ...(state ?? {}) }, "", next);
    }
    this.render(replace ? "replace" : "push");
  }

  render(how) {
    const url = this.url;
    for (const listener of this.listeners) listener(url, how);
  }

  followLink(event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[data-route]");
    if (link === null || !link.hasAttribute("href")) return;
    const target = new URL(link.href);
    if (target.origin !== window.location.origin) return;
    event.preventDefault();
    if (`${target.pathname}${target.search}` !== this.here) {
      this.navigate(`${target.pathname}${target.search}`);
    }
  }
}
