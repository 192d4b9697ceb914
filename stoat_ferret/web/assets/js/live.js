// The library kept in step with the library's change events while scans and watches run.
// Each video_* event names at most 64 ids; the page reads just those videos
// (GET /api/v1/videos/{id}) and puts, updates or takes away their cards where they
// belong under the current sort and filters. A video that would go above what the
// reader is looking at (or whose place the page cannot know, as in a search) is counted
// in a "N new videos" notice instead, so nothing moves under the reader. The list is
// never loaded again as a whole; only its count is read again.

import { ApiError, get, segment } from "./api.js";
import { comparator, matches } from "./browse-state.js";
import { byId, setText, show } from "./dom.js";
import * as format from "./format.js";

/** Videos read at once when an event names many. */
const PARALLEL_READS = 4;

async function readVideos(ids, notFound) {
  const found = new Map();
  let next = 0;
  async function worker() {
    while (next < ids.length) {
      const id = ids[next];
      next += 1;
      try {
        found.set(id, await get(`/api/v1/videos/${segment(id)}`));
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== notFound) throw error;
        found.set(id, null);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, ids.length) }, worker));
  return found;
}

export class LiveLibrary {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    this.notice = byId("live-notice");
    this.noticeText = byId("live-notice-text");
    /** Ids of videos that belong in the view but were not placed (see the notice). */
    this.waiting = new Set();
    /** Changes are applied one event at a time, in the order they came. */
    this.queue = Promise.resolve();
    /** Bumped on every load of the list: work begun for an older list is dropped. */
    this.generation = 0;
    /**
     * Events that came while the list was being read: its answer may have been read
     * before their change was made, so they are applied once it is shown.
     */
    this.held = [];
    this.loading = false;
    this.counting = null;
    this.countAgain = false;
    byId("live-notice-show").addEventListener("click", () => {
      this.library.reload();
      this.library.heading.focus();
    });
  }

  /** The list is being loaded afresh: nothing is waiting any more. */
  reset() {
    this.generation += 1;
    this.waiting.clear();
    this.renderNotice();
    this.held = [];
    this.loading = true;
  }

  /** The list read afresh is shown: apply the events that came meanwhile. */
  loaded() {
    this.loading = false;
    const held = this.held;
    this.held = [];
    for (const [type, payload] of held) this.handle(type, payload);
  }

  /** The list could not be read: the next load reads what the held events changed. */
  failed() {
    this.loading = false;
    this.held = [];
  }

  /** A video_* event: apply it once the ones before it are applied. */
  handle(type, payload) {
    if (this.loading) {
      this.held.push([type, payload]);
      return;
    }
    const generation = this.generation;
    this.queue = this.queue
      .then(() => (generation === this.generation ? this.apply(type, payload, generation) : null))
      .catch((error) => {
        setText(this.noticeText, `The library could not be updated: ${error.message}`);
        show(this.notice, true);
      });
  }

  async apply(type, payload, generation) {
    const library = this.library;
    if (library.shownKey === null || library.root.hidden) {
      // Not shown now: it is loaded afresh when it is shown.
      if (library.root.hidden) library.shownKey = null;
      return;
    }
    const names = this.app.vocabulary.event;
    const state = library.state;
    const onPage = (id) => library.videos.some((video) => video.id === id);
    let ids = [];
    let others = [];
    if (type === names.VIDEO_MOVED) {
      ids = (payload.moves ?? []).map((move) => move.video_id);
    } else {
      ids = payload.video_ids ?? [];
    }
    if (type === names.VIDEO_REMOVED) {
      for (const id of ids) library.removeItem(id);
      this.forget(ids);
      this.afterChange();
      return;
    }
    const here = ids.filter(onPage);
    // Videos not on this page can join it when they are new, or when the change is one
    // the view filters by (moved into its folder, found missing or back).
    const mayJoin =
      type === names.VIDEO_ADDED ||
      (type === names.VIDEO_MOVED && Boolean(state.folder)) ||
      (type === names.VIDEO_MISSING && Boolean(state.filters.missing));
    if (mayJoin) others = ids.filter((id) => !onPage(id));
    if (state.q && others.length > 0) {
      // A search ranks its matches: the page cannot tell where a new one goes, or if it matches.
      if (type === names.VIDEO_ADDED) for (const id of others) this.waiting.add(id);
      others = [];
    }
    const read = [...here, ...others];
    if (read.length === 0) {
      this.afterChange();
      return;
    }
    const videos = await readVideos(read, this.app.vocabulary.error.NOT_FOUND);
    if (generation !== this.generation) return;
    const order = comparator(state, this.app.vocabulary);
    for (const id of read) {
      const video = videos.get(id);
      const fits = video ? matches(video, state) : false;
      if (onPage(id)) {
        if (video === null || fits === false) library.removeItem(id);
        else library.replaceItem(video);
      } else if (video && fits === true) {
        this.place(video, state, order);
      } else if (video && fits === null) {
        this.waiting.add(id);
      }
    }
    this.afterChange();
  }

  /** Put a video that is not on the page where it belongs, if that is this page. */
  place(video, state, order) {
    const shown = this.library.videos;
    let at = shown.findIndex((other) => order(video, other) < 0);
    if (at < 0) at = shown.length;
    if (at === shown.length && shown.length >= state.per) return; // on a later page
    if (at === 0 && state.page > 1) {
      // On an earlier page: every page after it moves by one.
      this.waiting.add(video.id);
      return;
    }
    const before = at < shown.length ? this.library.items.get(shown[at].id) : null;
    if (before && before.getBoundingClientRect().top < 0) {
      // It would go above what the reader is looking at and push it down.
      this.waiting.add(video.id);
      return;
    }
    this.library.insertItem(video, at);
    if (this.library.videos.length > state.per) {
      const last = this.library.videos[this.library.videos.length - 1];
      this.library.removeItem(last.id);
    }
  }

  forget(ids) {
    for (const id of ids) this.waiting.delete(id);
    this.library.selection.forget(ids);
  }

  renderNotice() {
    const count = this.waiting.size;
    show(this.notice, count > 0);
    if (count > 0) {
      const word = format.count(count, "new or changed video", "new or changed videos");
      setText(this.noticeText, `${word} not shown yet.`);
    }
  }

  afterChange() {
    if (this.library.shownKey !== null) {
      this.renderNotice();
      this.library.itemsChanged();
    }
    this.recount();
  }

  /**
   * Read the counts again: the view's total (a list of one video), the folder tree's and
   * the library's. Calls made while they are read run once more after, not once each.
   */
  recount() {
    if (this.counting !== null) {
      this.countAgain = true;
      return;
    }
    this.counting = (async () => {
      do {
        this.countAgain = false;
        await Promise.allSettled([
          this.library.folders.refresh(),
          this.library.refreshSummary(),
          this.readTotal(),
        ]);
      } while (this.countAgain);
      this.counting = null;
    })();
  }

  async readTotal() {
    // A list never shown (another view since the start) is loaded when it is shown.
    if (this.library.shownKey === null) return;
    const generation = this.generation;
    const state = this.library.state;
    const answer = await this.library.fetchPage({ ...state, page: 1 }, undefined, { limit: 1 });
    if (generation === this.generation) this.library.totalChanged(answer);
  }
}
