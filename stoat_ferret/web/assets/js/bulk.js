// Actions on the selected videos: remove their entries, remake their thumbnails,
// rescan their folders. Each reports what happened in the selection bar.

import { ApiError, NETWORK_ERROR, post, remove, segment } from "./api.js";
import { byId, element, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";
import { jobsUrl } from "./jobs.js";
import { confirmAction } from "./modal.js";

/** Requests in flight at once when removing many entries. */
const PARALLEL_REQUESTS = 4;

/** Run ``work`` on every item, ``limit`` at a time; settles like Promise.allSettled. */
async function eachLimited(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = { status: "fulfilled", value: await work(items[index]) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class BulkActions {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    this.bar = byId("selection-bar");
    this.count = byId("selection-count");
    this.status = byId("bulk-status");
    this.buttons = ["bulk-thumbnails", "bulk-rescan", "bulk-remove"].map(byId);
    byId("select-page").addEventListener("click", () => library.selection.selectAll(library.videos));
    byId("select-none").addEventListener("click", () => library.selection.clear());
    byId("bulk-remove").addEventListener("click", () => this.removeEntries());
    byId("bulk-thumbnails").addEventListener("click", () => this.remakeThumbnails());
    byId("bulk-rescan").addEventListener("click", () => this.rescanFolders());
    this.busy = false;
  }

  render() {
    const size = this.library.selection.size;
    show(this.bar, size > 0 || this.status.childNodes.length > 0);
    setText(this.count, size > 0 ? `${format.count(size, "video")} selected` : "Nothing selected");
    for (const button of this.buttons) button.disabled = size === 0 || this.busy;
  }

  report(...nodes) {
    replaceChildren(this.status, nodes);
    this.render();
  }

  async run(work) {
    this.busy = true;
    this.render();
    try {
      await work();
    } finally {
      this.busy = false;
      this.render();
    }
  }

  async removeEntries() {
    const videos = this.library.selection.list();
    const sure = await confirmAction({
      title: `Remove ${format.count(videos.length, "video")} from the library?`,
      text:
        "Their entries and thumbnails are removed. The files on disk are not touched: " +
        "a later scan of their folders adds them again.",
      items: videos.map((video) => video.path),
      action: "Remove",
    });
    if (!sure) return;
    await this.run(async () => {
      this.report(element("p", `Removing ${format.count(videos.length, "video")}…`));
      const results = await eachLimited(videos, PARALLEL_REQUESTS, (video) =>
        remove(`/api/v1/videos/${segment(video.id)}`),
      );
      const gone = this.app.vocabulary.error.NOT_FOUND;
      const removed = [];
      const failed = [];
      results.forEach((outcome, index) => {
        const video = videos[index];
        // An entry someone else removed meanwhile is removed all the same.
        if (outcome.status === "fulfilled" || outcome.reason?.code === gone) removed.push(video);
        else failed.push([video, outcome.reason]);
      });
      this.library.selection.forget(removed.map((video) => video.id));
      const lines = [element("p", `Removed ${format.count(removed.length, "video")} from the library.`)];
      for (const [video, reason] of failed) {
        lines.push(element("p", `${video.filename} could not be removed: ${reason?.message ?? reason}`, "error-text"));
      }
      this.report(...lines);
      this.library.reload();
    });
  }

  async remakeThumbnails() {
    const videos = this.library.selection.list();
    await this.run(async () => {
      try {
        const { data } = await post("/api/v1/videos/thumbnails", {
          video_ids: videos.map((video) => video.id),
          force: true,
        });
        const link = element("a", "See it in Jobs");
        link.setAttribute("href", jobsUrl({ kind: this.app.vocabulary.kind.THUMBNAILS }));
        link.dataset.route = "";
        const line = element("p", `Remaking ${format.count(videos.length, "thumbnail")} (job ${data.job_id}). `);
        line.append(link);
        this.report(line);
      } catch (error) {
        this.report(element("p", `Thumbnails could not be requested: ${error.message}`, "error-text"));
      }
    });
  }

  /** Scan the folder of every selected video once (its own files, not its subfolders). */
  async rescanFolders() {
    const folders = [...new Set(this.library.selection.list().map((video) => format.folderOf(video.path)))];
    await this.run(async () => {
      const results = await eachLimited(folders, PARALLEL_REQUESTS, (path) =>
        post("/api/v1/videos/scan", { path, recursive: false, force: false }),
      );
      const busy = this.app.vocabulary.error.SCAN_IN_PROGRESS;
      const lines = [];
      const started = [];
      results.forEach((outcome, index) => {
        const folder = folders[index];
        if (outcome.status === "fulfilled") {
          started.push(outcome.value.data.job_id);
          return;
        }
        const error = outcome.reason;
        const code = error instanceof ApiError ? error.code : NETWORK_ERROR;
        const line = element("p", `${folder}: ${error.message}`, "error-text");
        if (code === busy && error.detail.job_id) {
          line.textContent = `A scan of ${folder} is already running. `;
          line.className = "";
          const button = element("button", "Show that scan");
          button.type = "button";
          button.addEventListener("click", () => this.app.scan.open({ jobId: error.detail.job_id }));
          line.append(button);
        }
        lines.push(line);
      });
      if (started.length > 0) {
        const line = element("p", `Rescanning ${format.count(started.length, "folder")}. `);
        if (started.length === 1) {
          const button = element("button", "Show the scan");
          button.type = "button";
          button.addEventListener("click", () => this.app.scan.open({ jobId: started[0] }));
          line.append(button);
        } else {
          const link = element("a", "See them in Jobs");
          link.setAttribute("href", jobsUrl({ kind: this.app.vocabulary.kind.SCAN }));
          link.dataset.route = "";
          line.append(link);
        }
        lines.unshift(line);
      }
      this.report(...lines);
    });
  }
}
