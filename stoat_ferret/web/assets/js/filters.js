// The library's sort and filter controls. They show what the address says and, when
// changed, go to the address of the new choice (page 1), so a reload, a link and the
// Back button give the same view. Sorts, directions and HDR values are the server's.

import { FILTERS, cleanFilter, effectiveSort, filterCount, libraryUrl } from "./browse-state.js";
import { byId, setText, show } from "./dom.js";

/** Labels of the sorts and directions, by the server's NAME for each. */
const SORT_LABELS = {
  PATH: "Path",
  FILENAME: "Name",
  DURATION: "Duration",
  SIZE: "Size",
  WIDTH: "Width",
  FRAME_RATE: "Frame rate",
  CREATED: "Date added",
  MODIFIED: "Date modified",
};
const ORDER_LABELS = { ASC: "Ascending", DESC: "Descending" };
const HDR_LABELS = { TRUE: "Any HDR", FALSE: "No HDR (SDR)" };

/** Words as the server splits a search into them (letters, digits and ``_``). */
const WORD = /[\p{L}\p{N}_]+/gu;
/** A search ranks its matches only when every word has at least this many letters. */
const RANKED_WORD_LENGTH = 3;

/** How a search for ``q`` orders its matches (the sort control's title meanwhile). */
export function searchOrder(q) {
  const words = q.match(WORD) ?? [];
  const ranked = words.every((word) => [...word].length >= RANKED_WORD_LENGTH);
  return ranked
    ? "A search lists the best matches first"
    : "A search with a word of one or two letters lists the newest matches first";
}

function option(value, label) {
  return new Option(label, value);
}

export class FilterControls {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    const words = app.vocabulary;
    this.sort = byId("sort");
    this.order = byId("sort-order");
    this.form = byId("filter-form");
    this.panel = byId("filters");
    this.count = byId("filter-count");
    this.clear = byId("filters-clear");
    for (const [name, value] of Object.entries(words.sort)) {
      this.sort.append(option(value, SORT_LABELS[name] ?? value));
    }
    for (const [name, value] of Object.entries(words.order)) {
      this.order.append(option(value, ORDER_LABELS[name] ?? value));
    }
    const hdr = byId("f-hdr");
    for (const [name, value] of Object.entries(words.hdr)) {
      hdr.append(option(value, HDR_LABELS[name] ?? value));
    }
    this.sort.addEventListener("change", () => this.go({ sort: this.sort.value, order: "" }));
    this.order.addEventListener("change", () => this.go({ order: this.order.value }));
    this.form.addEventListener("change", () => this.go({ filters: this.read() }));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.go({ filters: this.read() });
    });
  }

  /** The field of a filter, by its key. */
  field(key) {
    return this.form.elements.namedItem(key);
  }

  /** The filters the form holds now; values the API would refuse are left out. */
  read() {
    const filters = {};
    for (const filter of FILTERS) {
      const value = cleanFilter(filter, this.field(filter.key).value, this.app.vocabulary);
      if (value !== null) filters[filter.key] = value;
    }
    return filters;
  }

  /** Go to the library with ``change`` applied to what it shows now, from page 1. */
  go(change) {
    const next = { ...this.library.state, ...change, page: 1 };
    const words = this.app.vocabulary;
    // A direction for the list's own order names that order's sort.
    if (!next.sort && next.order) next.sort = effectiveSort(next, words).sort;
    // The sort's own direction is the one the address leaves out.
    if (next.sort && next.order === words.sortDefaults[next.sort]) next.order = "";
    this.app.router.navigate(libraryUrl(next));
  }

  /** Show ``state``'s sort and filters in the controls. */
  render(state) {
    const { sort, order } = effectiveSort(state, this.app.vocabulary);
    this.sort.value = sort;
    this.order.value = order;
    // A search is ordered by relevance: the sort applies to the list only.
    const searching = Boolean(state.q);
    this.sort.disabled = searching;
    this.order.disabled = searching;
    this.sort.title = searching ? searchOrder(state.q) : "";
    for (const filter of FILTERS) {
      const field = this.field(filter.key);
      const value = state.filters[filter.key] ?? "";
      if (document.activeElement !== field || field.tagName === "SELECT") field.value = value;
    }
    const active = filterCount(state);
    setText(this.count, active > 0 ? String(active) : "");
    show(this.count, active > 0);
    this.count.setAttribute("aria-label", `${active} active`);
    show(this.clear, active > 0);
    this.clear.setAttribute("href", libraryUrl({ ...state, filters: {}, page: 1 }));
    if (active > 0 && this.panel.dataset.opened !== "true") {
      // A link with filters opens the panel once, so what limits the list is in sight.
      this.panel.open = true;
      this.panel.dataset.opened = "true";
    }
  }
}
