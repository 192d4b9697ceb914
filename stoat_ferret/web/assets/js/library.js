// The library view: a page of videos (or of search matches) as a grid or a list,
// numbered pages, selection for the bulk actions, and thumbnails that update as
// they are made. What is shown (search, folder, page, page size) lives in the URL;
// how it is shown (layout, density) is remembered by the browser.

import { ApiError, get, post, segment } from "./api.js";
import {
  DEFAULT_PER_PAGE,
  MAX_PER_PAGE,
  filterParams,
  libraryUrl,
  readState,
} from "./browse-state.js";
import { BulkActions } from "./bulk.js";
import {
  byId,
  element,
  find,
  fromTemplate,
  pageNumberItems,
  replaceChildren,
  setText,
  show,
} from "./dom.js";
import { ExportButtons } from "./export.js";
import { FilterControls } from "./filters.js";
import { FolderTree } from "./folders.js";
import * as format from "./format.js";
import { LiveLibrary } from "./live.js";
import * as prefs from "./prefs.js";
import { PurgeMissing } from "./purge.js";
import { CardScrubber } from "./card-scrub.js";
import { Selection } from "./selection.js";

export { libraryUrl };
export const PER_PAGE_CHOICES = [12, 24, 48, 96];
export { DEFAULT_PER_PAGE };
const SEARCH_DELAY_MS = 250;
const LAYOUTS = ["grid", "list"];
const DENSITIES = ["comfortable", "compact"];

function positiveInt(text, fallback, highest = Number.MAX_SAFE_INTEGER) {
  const value = Number.parseInt(text ?? "", 10);
  if (!Number.isSafeInteger(value) || value < 1) return fallback;
  return Math.min(value, highest);
}

/** The thumbnail URL of a video; ``version`` changes whenever the image may have. */
export function thumbnailUrl(videoId, version) {
  return `/api/v1/videos/${segment(videoId)}/thumbnail?v=${encodeURIComponent(version)}`;
}

/** The thumbnail version a video's fields name: changes when it is made or remade. */
export function thumbnailVersion(video) {
  return `${video.thumbnail_path ?? "none"}@${video.updated_at}`;
}

export class LibraryView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-library");
    this.heading = byId("library-heading");
    this.searchForm = byId("search-form");
    this.searchInput = byId("search-input");
    this.perPage = byId("per-page");
    this.density = byId("density");
    this.layoutButtons = { grid: byId("layout-grid"), list: byId("layout-list") };
    this.summary = byId("library-summary");
    this.error = byId("library-error");
    this.empty = byId("library-empty");
    this.noMatch = byId("library-nomatch");
    this.container = byId("videos");
    this.grid = byId("video-grid");
    this.table = byId("video-table");
    this.rowsBody = byId("video-rows");
    this.pager = byId("pager");
    this.prev = byId("page-prev");
    this.next = byId("page-next");
    this.pageNumbers = byId("page-numbers");
    this.pageStatus = byId("page-status");
    this.thumbsButton = byId("make-thumbnails");
    this.thumbsStatus = byId("thumbnails-status");
    this.folderFilter = byId("folder-filter");

    /** What the address asks the view to show (see browse-state.js). */
    this.state = readState(new URLSearchParams(), app.vocabulary);
    this.layout = prefs.choice("layout", LAYOUTS, "grid");
    this.densityValue = prefs.choice("density", DENSITIES, "comfortable");
    /** What the page shows (the state's key), or null before the first load. */
    this.shownKey = null;
    /** The key of the view being loaded, while a load is under way. */
    this.loadingKey = null;
    /** The state whose page is shown, and its total: {total, exact}. */
    this.shown = null;
    this.controller = null;
    this.searchTimer = null;
    /** The videos on this page, in order. */
    this.videos = [];
    /** video id -> its card or row, for thumbnail_ready. */
    this.items = new Map();
    /**
     * thumbnail_ready events since the page began loading: video id -> newest event id.
     * The answer may have been read before such a thumbnail was recorded, so these win.
     */
    this.thumbEvents = new Map();
    /** The video whose detail view was opened last, to focus again on the way back. */
    this.lastOpened = null;
    this.selection = new Selection();
    this.bulk = new BulkActions(app, this);
    this.filters = new FilterControls(app, this);
    this.folders = new FolderTree(app, this);
    this.live = new LiveLibrary(app, this);
    this.exports = new ExportButtons(app, this);
    this.purge = new PurgeMissing(app, this);
    this.scrubber = new CardScrubber(this);

    this.searchInput.addEventListener("input", () => this.searchSoon());
    this.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.searchNow();
    });
    this.perPage.addEventListener("change", () => {
      const per = positiveInt(this.perPage.value, DEFAULT_PER_PAGE, MAX_PER_PAGE);
      this.app.router.navigate(libraryUrl({ ...this.state, page: 1, per }));
    });
    this.density.addEventListener("change", () => this.setDensity(this.density.value));
    for (const [layout, button] of Object.entries(this.layoutButtons)) {
      button.addEventListener("click", () => this.setLayout(layout));
    }
    byId("empty-scan").addEventListener("click", () => this.app.openScan());
    this.thumbsButton.addEventListener("click", () => this.makeThumbnails());
    this.container.addEventListener("click", (event) => this.clicked(event));
    this.container.addEventListener("keydown", (event) => this.keyed(event));
    this.selection.addEventListener("change", () => this.selectionChanged());
    this.renderRoots();
    this.applyLook();
  }

  /** Show the state the URL asks for: /library?q=&folder=&sort=&order=&filters…&page=&per=. */
  route(url, how) {
    // Under the scan dialog the page stays as it was; it only loads if it never has.
    if (url.pathname === "/scan" && this.shownKey !== null) return;
    const params = url.pathname === "/scan" ? new URLSearchParams() : url.searchParams;
    this.state = readState(params, this.app.vocabulary);
    const { q, folder } = this.state;
    if (document.activeElement !== this.searchInput && this.searchInput.value.trim() !== q) {
      this.searchInput.value = q;
    }
    this.syncPerPage();
    this.filters.render(this.state);
    show(this.folderFilter, Boolean(folder));
    setText(byId("folder-filter-path"), folder);
    byId("folder-filter-clear").setAttribute("href", libraryUrl({ ...this.state, folder: "", page: 1 }));
    this.folders.choose(folder);
    // Back (or Forward) to a library page: return to where it was, once it is shown.
    const restore = how === "pop" ? { scrollY: window.history.state?.scrollY } : null;
    // Shown already, unless a load of another view is on its way: it would replace it.
    const key = this.key();
    if (key !== this.shownKey || (this.loadingKey !== null && this.loadingKey !== key)) {
      this.load({ restore });
    } else if (restore !== null) this.restorePosition(restore);
  }

  key(state = this.state) {
    return JSON.stringify(state);
  }

  syncPerPage() {
    const value = String(this.state.per);
    if (![...this.perPage.options].some((option) => option.value === value)) {
      this.perPage.append(new Option(value, value));
    }
    this.perPage.value = value;
  }

  setLayout(layout) {
    this.layout = layout;
    prefs.write("layout", layout);
    this.applyLook();
    if (this.shownKey !== null) this.renderItems();
  }

  setDensity(density) {
    this.densityValue = DENSITIES.includes(density) ? density : "comfortable";
    prefs.write("density", this.densityValue);
    this.applyLook();
  }

  applyLook() {
    this.container.dataset.layout = this.layout;
    this.container.dataset.density = this.densityValue;
    this.density.value = this.densityValue;
    for (const [layout, button] of Object.entries(this.layoutButtons)) {
      button.setAttribute("aria-pressed", String(layout === this.layout));
    }
  }

  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.searchNow(), SEARCH_DELAY_MS);
  }

  searchNow() {
    clearTimeout(this.searchTimer);
    const q = this.searchInput.value.trim();
    if (q === this.state.q) return;
    // Typing refines one search: replace the history entry rather than add one per word.
    this.app.router.navigate(libraryUrl({ ...this.state, q, page: 1 }), { replace: true });
  }

  /** Load what the page shows again (after a bulk action, or a resync). */
  reload() {
    if (this.shownKey !== null) this.load();
  }

  async load({ restore = null } = {}) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.thumbEvents = new Map();
    this.scrubber.reset();
    this.live.reset();
    const key = this.key();
    const state = this.state;
    this.loadingKey = key;
    this.root.setAttribute("aria-busy", "true");
    try {
      // Read once the events flow, so every change after the read reaches the page.
      await this.app.streamSettled;
      if (controller !== this.controller) return;
      // The list is asked for first: the counts and the tree beside it can come after.
      const reading = this.fetchPage(state, controller.signal);
      this.refreshSummary();
      this.folders.refresh();
      const answer = await reading;
      if (controller !== this.controller) return;
      const lastPage = this.lastPage(answer, state);
      if (state.page > lastPage) {
        this.app.router.navigate(libraryUrl({ ...state, page: lastPage }), { replace: true });
        return;
      }
      this.shownKey = key;
      show(this.error, false);
      this.render(answer, state);
      this.live.loaded();
      if (restore !== null) this.restorePosition(restore);
    } catch (error) {
      if (error.name === "AbortError" || controller !== this.controller) return;
      this.live.failed();
      this.shownKey = null;
      setText(this.error, `The library could not be loaded: ${error.message}`);
      show(this.error, true);
    } finally {
      if (controller === this.controller) {
        this.loadingKey = null;
        this.root.setAttribute("aria-busy", "false");
      }
    }
  }

  /** The last page a state's answer reaches; one more while the total is only a lower bound. */
  lastPage(answer, state) {
    const counted = Math.max(1, Math.ceil(answer.total / state.per));
    const more = !answer.exact && answer.videos.length === state.per ? 1 : 0;
    return Math.max(counted, state.page + more);
  }

  /** The API's parameters for a state's list (or search), without paging. */
  queryParams(state) {
    const params = filterParams(state);
    if (state.q) params.q = state.q;
    else {
      if (state.sort) params.sort = state.sort;
      if (state.sort && state.order) params.order = state.order;
    }
    return params;
  }

  /** One page of videos: {videos, total, exact}. */
  async fetchPage(state, signal, { limit = state.per } = {}) {
    const offset = (state.page - 1) * state.per;
    const path = state.q ? "/api/v1/videos/search" : "/api/v1/videos";
    const answer = await get(path, { ...this.queryParams(state), limit, offset }, { signal });
    return { videos: answer.videos, total: answer.total, exact: answer.total_exact !== false };
  }

  render(answer, state) {
    this.shown = { total: answer.total, exact: answer.exact };
    this.videos = answer.videos;
    this.renderSummary(state);
    this.renderItems();
    this.renderPager(state, this.lastPage(answer, state));
    this.purge.render();
    this.exports.render();
  }

  /** The line above the grid, the empty and no-match notes, from what is shown now. */
  renderSummary(state = this.state) {
    const { total, exact } = this.shown;
    const { q, folder, page, per } = state;
    const filtered = Boolean(q || folder || Object.keys(state.filters).length > 0);
    const first = (page - 1) * per + 1;
    const count = this.videos.length;
    const range = count > 0 ? `${first}\u2013${first + count - 1}` : "0";
    const of = exact ? `${total}` : `at least ${total}`;
    if (total === 0 && count === 0) setText(this.summary, "");
    else if (q && exact && total <= per && page === 1) {
      setText(this.summary, `${format.count(total, "match", "matches")} for \u201c${q}\u201d`);
    } else if (q) {
      setText(this.summary, `Matches ${range} of ${of} for \u201c${q}\u201d`);
    } else {
      setText(this.summary, `Videos ${range} of ${of}`);
    }
    const nothing = total === 0 && count === 0;
    show(this.empty, !filtered && nothing);
    show(this.noMatch, filtered && nothing);
    if (q) setText(this.noMatch, `No videos match \u201c${q}\u201d.`);
    else if (folder && Object.keys(state.filters).length === 0) setText(this.noMatch, "No videos in this folder.");
    else setText(this.noMatch, "No videos match these filters.");
  }

  renderPager(state, lastPage) {
    const { page } = state;
    const paged = lastPage > 1;
    show(this.pager, paged);
    if (!paged) return;
    const at = (number) => libraryUrl({ ...state, page: number });
    this.pageLink(this.prev, page > 1 ? at(page - 1) : null);
    this.pageLink(this.next, page < lastPage ? at(page + 1) : null);
    setText(this.pageStatus, `Page ${page} of ${lastPage}`);
    replaceChildren(
      this.pageNumbers,
      pageNumberItems(format.pageNumbers(page, lastPage), page, at, (number) => `Page ${number}`),
    );
  }

  pageLink(link, target) {
    if (target === null) {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    } else {
      link.setAttribute("href", target);
      link.removeAttribute("aria-disabled");
    }
  }

  /** Put the page's videos in the grid or the list. */
  renderItems() {
    this.items.clear();
    const list = this.layout === "list";
    const items = this.videos.map((video) => this.makeItem(video));
    replaceChildren(list ? this.rowsBody : this.grid, items);
    replaceChildren(list ? this.grid : this.rowsBody, []);
    this.itemsChanged();
    for (const [videoId, eventId] of this.thumbEvents) this.showThumbnail(videoId, eventId);
  }

  makeItem(video) {
    return this.layout === "list" ? this.row(video) : this.card(video);
  }

  /** Show the grid or the list as the page has videos or not. */
  itemsChanged() {
    const list = this.layout === "list";
    show(this.grid, !list && this.videos.length > 0);
    show(this.table, list && this.videos.length > 0);
    if (this.shown !== null) this.renderSummary();
  }

  /** Put ``video`` at position ``at`` of the page, in place. */
  insertItem(video, at) {
    const before = at < this.videos.length ? this.items.get(this.videos[at].id) ?? null : null;
    this.videos.splice(at, 0, video);
    const item = this.makeItem(video);
    (this.layout === "list" ? this.rowsBody : this.grid).insertBefore(item, before);
    this.thumbnailSince(video.id);
  }

  /** Show a thumbnail made since the page was read, if one was. */
  thumbnailSince(videoId) {
    const eventId = this.thumbEvents.get(videoId);
    if (eventId !== undefined) this.showThumbnail(videoId, eventId);
  }

  /** Show a video's new fields where its card or row is. */
  replaceItem(video) {
    const at = this.videos.findIndex((shown) => shown.id === video.id);
    const old = this.items.get(video.id);
    if (at < 0 || old === undefined) return;
    this.videos[at] = video;
    const item = this.makeItem(video);
    const focused = old.contains(document.activeElement) ? document.activeElement.className : null;
    old.replaceWith(item);
    this.thumbnailSince(video.id);
    if (focused) item.querySelector(`.${focused.split(" ")[0]}`)?.focus({ preventScroll: true });
  }

  /** Take a video off the page, if it is on it. */
  removeItem(id) {
    const at = this.videos.findIndex((shown) => shown.id === id);
    if (at < 0) return;
    this.videos.splice(at, 1);
    this.items.get(id)?.remove();
    this.items.delete(id);
  }

  /** A new count of what the view holds (from the live updates). */
  totalChanged(answer) {
    this.shown = { total: answer.total, exact: answer.exact };
    this.renderSummary();
    const lastPage = this.lastPage({ ...answer, videos: this.videos }, this.state);
    this.renderPager(this.state, lastPage);
    this.purge.render();
  }

  /** Fill what a card and a row share: name, link, folder, facts, selection box. */
  fill(item, video) {
    item.dataset.videoId = video.id;
    const link = find(item, ".open");
    setText(link, video.filename);
    link.setAttribute("href", `/videos/${segment(video.id)}`);
    link.title = video.path;
    const folder = format.folderOf(video.path);
    const folderText = find(item, ".folder");
    setText(folderText, format.baseName(folder) || folder);
    folderText.title = folder;
    const pick = find(item, ".pick");
    pick.setAttribute("aria-label", `Select ${video.filename}`);
    pick.checked = this.selection.has(video.id);
    item.classList.toggle("selected", pick.checked);
    const rateText = format.frameRate(video.frame_rate_numerator, video.frame_rate_denominator);
    const duration = find(item, ".duration");
    setText(
      duration,
      format.timecode(video.duration_frames, video.frame_rate_numerator, video.frame_rate_denominator),
    );
    duration.title = `${video.duration_frames} frames at ${rateText} fps`;
    setText(find(item, ".resolution"), `${format.resolution(video.width, video.height)} · ${rateText} fps`);
    setText(find(item, ".codecs"), `${video.video_codec} / ${video.audio_codec ?? "no audio"}`);
    const size = find(item, ".size");
    setText(size, format.bytes(video.file_size));
    size.title = `${video.file_size.toLocaleString()} bytes`;
    const missing = find(item, ".missing");
    show(missing, video.missing);
    if (video.missing) item.classList.add(item.tagName === "TR" ? "row-missing" : "card-missing");
    if (video.missing) {
      setText(
        missing,
        video.missing_since ? `Missing since ${format.localTime(video.missing_since)}` : "Missing",
      );
    }
    this.items.set(video.id, item);
  }

  card(video) {
    const card = fromTemplate("video-card");
    this.fill(card, video);
    const image = find(card, "img");
    // The cache key changes when a thumbnail is made (thumbnail_path) or remade (updated_at).
    image.src = thumbnailUrl(video.id, thumbnailVersion(video));
    card.dataset.thumbnail = video.thumbnail_path ? "made" : "placeholder";
    card.dataset.stripFrames = String(this.scrubber.stripOf(video.id)?.frames ?? 0);
    return card;
  }

  row(video) {
    const row = fromTemplate("video-row");
    this.fill(row, video);
    row.dataset.thumbnail = video.thumbnail_path ? "made" : "placeholder";
    return row;
  }

  /** A thumbnail_ready event: show the new image (and strip) if its video is on screen. */
  thumbnailReady(videoId, eventId, stripFrames = null) {
    this.scrubber.stripReady(videoId, stripFrames, eventId);
    this.thumbEvents.set(videoId, eventId);
    this.showThumbnail(videoId, eventId);
  }

  showThumbnail(videoId, eventId) {
    const item = this.items.get(videoId);
    if (item === undefined) return;
    const image = item.querySelector("img");
    if (image !== null) image.src = thumbnailUrl(videoId, `ready-${eventId}`);
    item.dataset.thumbnail = "made";
  }

  /** On the way back to this page: scroll to where it was, focus the video opened from it. */
  restorePosition({ scrollY }) {
    if (this.lastOpened !== null) {
      const link = this.items.get(this.lastOpened)?.querySelector(".open");
      if (link && !this.root.hidden) link.focus({ preventScroll: true });
      this.lastOpened = null;
    }
    if (Number.isFinite(scrollY)) window.scrollTo(0, scrollY);
  }

  // -- selection and keyboard ------------------------------------------------------------

  itemOf(node) {
    const item = node.closest("[data-video-id]");
    return item !== null && this.container.contains(item) ? item : null;
  }

  videoOf(item) {
    return this.videos.find((video) => video.id === item.dataset.videoId) ?? null;
  }

  clicked(event) {
    const item = this.itemOf(event.target);
    if (item === null) return;
    const video = this.videoOf(item);
    if (video === null) return;
    const onPick = event.target.classList.contains("pick");
    if (onPick) {
      // The box has toggled itself already: make the selection follow, as a range with Shift.
      if (event.shiftKey) this.selection.extend(video, this.videos);
      else this.selection.toggle(video, event.target.checked);
      return;
    }
    if (event.shiftKey) {
      event.preventDefault();
      this.selection.extend(video, this.videos);
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      this.selection.toggle(video);
      return;
    }
    if (event.target.closest("a[href]")) {
      this.lastOpened = video.id;
      return;
    }
    // A click anywhere else on the card or row opens it, as its link would.
    if (event.button === 0) {
      this.lastOpened = video.id;
      this.app.router.navigate(`/videos/${segment(video.id)}`);
    }
  }

  keyed(event) {
    const item = this.itemOf(event.target);
    if (item === null) return;
    const video = this.videoOf(item);
    if (video === null) return;
    const onPick = event.target.classList.contains("pick");
    const key = event.key;
    if ((key === "a" || key === "A") && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.selection.selectAll(this.videos);
    } else if (key === "Escape" && this.selection.size > 0) {
      event.preventDefault();
      this.selection.clear();
    } else if (key === " " && !onPick) {
      event.preventDefault();
      if (event.shiftKey) this.selection.extend(video, this.videos);
      else this.selection.toggle(video);
    } else if (key === " " && onPick && event.shiftKey) {
      event.preventDefault();
      this.selection.extend(video, this.videos);
    } else if (key === "Enter" && onPick) {
      event.preventDefault();
      this.selection.toggle(video);
    } else if (key === "Enter") {
      this.lastOpened = video.id;
    } else if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(key)) {
      const target = this.neighbour(item, key);
      if (target !== null) {
        event.preventDefault();
        find(target, onPick ? ".pick" : ".open").focus();
      }
    }
  }

  /** The card or row an arrow key (or Home, End) moves to from ``item``. */
  neighbour(item, key) {
    const items = [...this.items.values()];
    const index = items.indexOf(item);
    if (index < 0) return null;
    let step = 0;
    if (key === "Home") return items[0];
    if (key === "End") return items[items.length - 1];
    if (this.layout === "list") {
      if (key === "ArrowUp") step = -1;
      else if (key === "ArrowDown") step = 1;
      else return null;
    } else {
      const top = items[0].offsetTop;
      const columns = Math.max(1, items.filter((other) => other.offsetTop === top).length);
      step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns }[key];
    }
    return items[index + step] ?? null;
  }

  selectionChanged() {
    for (const [id, item] of this.items) {
      const selected = this.selection.has(id);
      find(item, ".pick").checked = selected;
      item.classList.toggle("selected", selected);
    }
    this.bulk.render();
  }

  // -- counts and thumbnails --------------------------------------------------------------

  /** Fetch the library's counts: "Make missing thumbnails" shows only when one is missing. */
  async refreshSummary() {
    const purging = this.purge.refresh();
    try {
      const counts = await get("/api/v1/library/summary");
      show(this.thumbsButton, counts.without_thumbnail > 0);
      this.thumbsButton.title = format.count(counts.without_thumbnail, "video") + " without one";
    } catch {
      show(this.thumbsButton, false);
    }
    await purging;
  }

  renderRoots() {
    const roots = this.app.info.allowed_scan_roots;
    const list = byId("empty-roots");
    replaceChildren(
      list,
      roots.map((root) => element("li", root, "path")),
    );
    show(byId("empty-no-roots"), roots.length === 0);
    show(list.parentElement, roots.length > 0);
  }

  async makeThumbnails() {
    this.thumbsButton.disabled = true;
    setText(this.thumbsStatus, "");
    try {
      await post("/api/v1/videos/thumbnails", { video_ids: null, force: false });
      setText(this.thumbsStatus, "Making thumbnails for videos that have none; see Jobs.");
    } catch (error) {
      const text = error instanceof ApiError ? error.message : String(error);
      setText(this.thumbsStatus, `Thumbnails could not be requested: ${text}`);
    } finally {
      this.thumbsButton.disabled = false;
    }
  }
}
