// Which videos are selected, across pages: ids with what the bulk actions need of
// each (path, name). Dispatches "change" whenever the set changes.

export class Selection extends EventTarget {
  constructor() {
    super();
    /** video id -> the video, in the order selected. */
    this.videos = new Map();
    /** The video a shift-click or Shift+Space extends a range from. */
    this.anchor = null;
  }

  get size() {
    return this.videos.size;
  }

  has(id) {
    return this.videos.has(id);
  }

  /** Every selected video, in the order selected. */
  list() {
    return [...this.videos.values()];
  }

  /** Select or unselect one video; it becomes the anchor of the next range. */
  toggle(video, selected = !this.videos.has(video.id)) {
    this.anchor = video.id;
    this.apply([video], selected);
  }

  /**
   * Select the videos between the anchor and ``video`` in ``shown`` (the page's own
   * order), both ends included. Without an anchor on this page it selects ``video``.
   */
  extend(video, shown) {
    const from = shown.findIndex((item) => item.id === this.anchor);
    const to = shown.findIndex((item) => item.id === video.id);
    if (from < 0 || to < 0) {
      this.toggle(video, true);
      return;
    }
    const [low, high] = from < to ? [from, to] : [to, from];
    this.apply(shown.slice(low, high + 1), true);
  }

  /** Select every one of ``videos``. */
  selectAll(videos) {
    this.apply(videos, true);
  }

  /** Drop the given ids (say, videos that were removed) from the selection. */
  forget(ids) {
    let changed = false;
    for (const id of ids) changed = this.videos.delete(id) || changed;
    if (changed) this.changed();
  }

  clear() {
    if (this.videos.size === 0) return;
    this.videos.clear();
    this.anchor = null;
    this.changed();
  }

  apply(videos, selected) {
    for (const video of videos) {
      if (selected) this.videos.set(video.id, video);
      else this.videos.delete(video.id);
    }
    this.changed();
  }

  changed() {
    this.dispatchEvent(new CustomEvent("change"));
  }
}
