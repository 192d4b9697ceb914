// The library view: a page of videos (or the best search matches), an empty state
// that leads to the first scan, paging, and thumbnails that update as they are made.

import { ApiError, get, post, segment } from "./api.js";
import { byId, element, find, fromTemplate, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";

export const PER_PAGE_CHOICES = [12, 24, 48, 96];
export const DEFAULT_PER_PAGE = 24;
const MAX_PER_PAGE = 500;
const SEARCH_DELAY_MS = 250;

function positiveInt(text, fallback, highest = Number.MAX_SAFE_INTEGER) {
  const value = Number.parseInt(text ?? "", 10);
  if (!Number.isSafeInteger(value) || value < 1) return fallback;
  return Math.min(value, highest);
}

/** The library URL for a search, page and page size (defaults left out). */
export function libraryUrl({ q = "", page = 1, per = DEFAULT_PER_PAGE } = {}) {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (page > 1 && !q) params.set("page", String(page));
  if (per !== DEFAULT_PER_PAGE) params.set("per", String(per));
  const query = params.toString();
  return query ? `/library?${query}` : "/library";
}

/** The thumbnail URL of a video; ``version`` changes whenever the image may have. */
function thumbnailUrl(videoId, version) {
  return `/api/v1/videos/${segment(videoId)}/thumbnail?v=${encodeURIComponent(version)}`;
}

export class LibraryView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-library");
    this.heading = byId("library-heading");
    this.searchForm = byId("search-form");
    this.searchInput = byId("search-input");
    this.perPage = byId("per-page");
    this.summary = byId("library-summary");
    this.error = byId("library-error");
    this.empty = byId("library-empty");
    this.noMatch = byId("library-nomatch");
    this.searchNote = byId("search-note");
    this.grid = byId("video-grid");
    this.pager = byId("pager");
    this.prev = byId("page-prev");
    this.next = byId("page-next");
    this.pageStatus = byId("page-status");
    this.tools = byId("library-tools");
    this.thumbsButton = byId("make-thumbnails");
    this.thumbsStatus = byId("thumbnails-status");

    this.query = "";
    this.page = 1;
    this.per = DEFAULT_PER_PAGE;
    /** What the grid shows (query, page, size), or null before the first load. */
    this.shownKey = null;
    this.controller = null;
    this.searchTimer = null;
    /** video id -> its card, for thumbnail_ready. */
    this.cards = new Map();

    this.searchInput.addEventListener("input", () => this.searchSoon());
    this.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.searchNow();
    });
    this.perPage.addEventListener("change", () => {
      const per = positiveInt(this.perPage.value, DEFAULT_PER_PAGE, MAX_PER_PAGE);
      this.app.router.navigate(libraryUrl({ q: this.query, page: 1, per }));
    });
    byId("empty-scan").addEventListener("click", () => this.app.openScan());
    this.thumbsButton.addEventListener("click", () => this.makeThumbnails());
    this.renderRoots();
  }

  /** Show the state the URL asks for: /library?q=&page=&per=. */
  route(url) {
    // Under the scan dialog the grid stays as it was; it only loads if it never has.
    if (url.pathname === "/scan" && this.shownKey !== null) return;
    const params = url.pathname === "/scan" ? new URLSearchParams() : url.searchParams;
    this.query = (params.get("q") ?? "").trim();
    this.page = positiveInt(params.get("page"), 1);
    this.per = positiveInt(params.get("per"), DEFAULT_PER_PAGE, MAX_PER_PAGE);
    if (document.activeElement !== this.searchInput && this.searchInput.value.trim() !== this.query) {
      this.searchInput.value = this.query;
    }
    this.syncPerPage();
    if (this.key() !== this.shownKey) this.load();
  }

  key() {
    return JSON.stringify([this.query, this.query ? 1 : this.page, this.per]);
  }

  syncPerPage() {
    const value = String(this.per);
    if (![...this.perPage.options].some((option) => option.value === value)) {
      this.perPage.append(new Option(value, value));
    }
    this.perPage.value = value;
  }

  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.searchNow(), SEARCH_DELAY_MS);
  }

  searchNow() {
    clearTimeout(this.searchTimer);
    const q = this.searchInput.value.trim();
    if (q === this.query) return;
    // Typing refines one search: replace the history entry rather than add one per word.
    this.app.router.navigate(libraryUrl({ q, per: this.per }), { replace: true });
  }

  /** Load what the grid shows again (after a scan, or a resync). */
  reload() {
    if (this.shownKey !== null) this.load();
  }

  async load() {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const key = this.key();
    const { query, page, per } = this;
    this.root.setAttribute("aria-busy", "true");
    try {
      const answer = query
        ? await get("/api/v1/videos/search", { q: query, limit: per }, { signal: controller.signal })
        : await get("/api/v1/videos", { limit: per, offset: (page - 1) * per }, { signal: controller.signal });
      if (controller !== this.controller) return;
      const lastPage = Math.max(1, Math.ceil(answer.total / per));
      if (!query && page > lastPage) {
        this.app.router.navigate(libraryUrl({ page: lastPage, per }), { replace: true });
        return;
      }
      this.shownKey = key;
      show(this.error, false);
      this.render(answer, { query, page, per, lastPage });
    } catch (error) {
      if (error.name === "AbortError" || controller !== this.controller) return;
      this.shownKey = null;
      setText(this.error, `The library could not be loaded: ${error.message}`);
      show(this.error, true);
    } finally {
      if (controller === this.controller) this.root.setAttribute("aria-busy", "false");
    }
  }

  render(answer, { query, page, per, lastPage }) {
    const { videos, total } = answer;
    const first = query ? 1 : (page - 1) * per + 1;
    if (total === 0) setText(this.summary, "");
    else if (query) {
      setText(
        this.summary,
        videos.length < total
          ? `Best ${videos.length} of ${format.count(total, "match", "matches")} for “${query}”`
          : `${format.count(total, "match", "matches")} for “${query}”`,
      );
    } else {
      setText(this.summary, `Videos ${first}–${first + videos.length - 1} of ${total}`);
    }
    show(this.empty, !query && total === 0);
    show(this.noMatch, Boolean(query) && total === 0);
    setText(byId("nomatch-query"), query);
    show(this.searchNote, Boolean(query) && videos.length < total);
    show(this.tools, Boolean(query) || total > 0);

    this.cards.clear();
    replaceChildren(
      this.grid,
      videos.map((video) => this.card(video)),
    );
    show(this.grid, videos.length > 0);

    const paged = !query && total > per;
    show(this.pager, paged);
    if (paged) {
      this.pageLink(this.prev, page > 1 ? libraryUrl({ page: page - 1, per }) : null);
      this.pageLink(this.next, page < lastPage ? libraryUrl({ page: page + 1, per }) : null);
      setText(this.pageStatus, `Page ${page} of ${lastPage}`);
    }
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

  card(video) {
    const card = fromTemplate("video-card");
    const name = find(card, ".name");
    setText(name, video.filename);
    name.title = video.path;
    const image = find(card, "img");
    // The cache key changes when a thumbnail is made (thumbnail_path) or remade (updated_at).
    image.src = thumbnailUrl(video.id, `${video.thumbnail_path ?? "none"}@${video.updated_at}`);
    card.dataset.thumbnail = video.thumbnail_path ? "made" : "placeholder";
    const rateText = format.frameRate(video.frame_rate_numerator, video.frame_rate_denominator);
    const duration = find(card, ".duration");
    setText(
      duration,
      format.timecode(
        video.duration_frames,
        video.frame_rate_numerator,
        video.frame_rate_denominator,
      ),
    );
    duration.title = `${video.duration_frames} frames at ${rateText} fps`;
    setText(
      find(card, ".resolution"),
      `${format.resolution(video.width, video.height)} · ${rateText} fps`,
    );
    setText(find(card, ".codecs"), `${video.video_codec} / ${video.audio_codec ?? "no audio"}`);
    const size = find(card, ".size");
    setText(size, format.bytes(video.file_size));
    size.title = `${video.file_size.toLocaleString()} bytes`;
    const missing = find(card, ".missing");
    show(missing, video.missing);
    if (video.missing) {
      card.classList.add("card-missing");
      setText(
        missing,
        video.missing_since
          ? `Missing since ${format.localTime(video.missing_since)}`
          : "Missing",
      );
    }
    this.cards.set(video.id, card);
    return card;
  }

  /** A thumbnail_ready event: show the new image if its video is on screen. */
  thumbnailReady(videoId, eventId) {
    const card = this.cards.get(videoId);
    if (card === undefined) return;
    find(card, "img").src = thumbnailUrl(videoId, `ready-${eventId}`);
    card.dataset.thumbnail = "made";
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
