// The watched folders, /watches: each folder with its state (the server's word), the
// reason when it cannot be watched, its last change and its latest job; a form to watch
// another folder, and a button to stop watching one (after a confirmation). Kept live
// from watch_status events; reloaded over HTTP after the stream lost events.

import { ApiError, get, post, remove, segment } from "./api.js";
import { byId, element, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";
import { confirmAction } from "./modal.js";

export class WatchesView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-watches");
    this.list = byId("watch-list");
    this.empty = byId("watches-empty");
    this.error = byId("watches-error");
    this.form = byId("watch-form");
    this.path = byId("watch-path");
    this.poll = byId("watch-poll");
    this.submit = byId("watch-add");
    this.formError = byId("watch-form-error");
    this.status = byId("watch-status");
    /** Watches by id, in the server's order (oldest first). */
    this.watches = new Map();
    this.loaded = false;
    this.loading = null;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    this.path.addEventListener("input", () => this.clearFormError());
  }

  /** Show the view: load the watches the first time (events keep them current after). */
  route() {
    if (!this.loaded && this.loading === null) this.reload();
    if (!this.path.value) this.path.value = this.app.info.allowed_scan_roots[0] ?? "";
  }

  /** Load every watch again (the first time, and after a resync). */
  async reload() {
    const loading = get("/api/v1/watches");
    this.loading = loading;
    this.root.setAttribute("aria-busy", "true");
    try {
      const answer = await loading;
      if (loading !== this.loading) return;
      this.watches = new Map(answer.watches.map((watch) => [watch.id, watch]));
      this.loaded = true;
      show(this.error, false);
      this.render();
    } catch (error) {
      if (loading !== this.loading) return;
      setText(this.error, `The watched folders could not be loaded: ${error.message}`);
      show(this.error, true);
    } finally {
      if (loading === this.loading) {
        this.loading = null;
        this.root.setAttribute("aria-busy", "false");
      }
    }
  }

  /** A watch_status event: the watch added, changed or removed. */
  changed(payload) {
    if (!this.loaded || typeof payload?.id !== "string") return;
    const { REMOVED } = this.app.vocabulary.watchChange;
    if (payload.change === REMOVED) this.watches.delete(payload.id);
    else {
      const { change: _change, ...watch } = payload;
      this.watches.set(watch.id, watch);
    }
    this.render();
  }

  render() {
    const watches = [...this.watches.values()];
    show(this.empty, this.loaded && watches.length === 0);
    const items = watches.map((watch) => this.item(watch));
    replaceChildren(this.list, items);
  }

  item(watch) {
    const item = element("li", null, "watch-item");
    item.dataset.watchId = watch.id;
    item.dataset.state = watch.state;
    if (watch.state === this.app.vocabulary.watchState.UNAVAILABLE) item.dataset.unavailable = "";
    const head = element("div", null, "watch-head");
    const path = element("code", watch.path, "path");
    path.id = `watch-path-${watch.id}`;
    const state = element("span", watch.state, "badge watch-state");
    state.dataset.state = watch.state;
    head.append(path, state);
    item.append(head);
    if (watch.reason) item.append(element("p", watch.reason, "watch-reason"));

    const facts = element("dl", null, "watch-facts");
    const fact = (label, value) => {
      const pair = element("div");
      const dd = element("dd");
      dd.append(value);
      pair.append(element("dt", label), dd);
      facts.append(pair);
    };
    fact("How", watch.poll ? "polled at an interval" : "watched for changes");
    fact("Last change", watch.last_change_at ? this.time(watch.last_change_at) : "none yet");
    if (watch.job_id) {
      const link = element("a", `Job ${watch.job_id.slice(0, 8)}`);
      link.setAttribute("href", `/scan?job=${encodeURIComponent(watch.job_id)}`);
      link.dataset.route = "";
      fact("Latest job", link);
    } else {
      fact("Latest job", "none yet");
    }
    fact("Watched since", this.time(watch.created_at));
    item.append(facts);

    const stop = element("button", "Stop watching…", "watch-remove");
    stop.type = "button";
    stop.setAttribute("aria-describedby", path.id);
    stop.addEventListener("click", () => this.stop(watch, stop));
    item.append(stop);
    return item;
  }

  time(iso) {
    const node = element("time", format.localTime(iso));
    node.setAttribute("datetime", iso);
    return node;
  }

  // -- adding and removing --------------------------------------------------------------

  async add() {
    const path = this.path.value.trim();
    if (!path) {
      this.showFormError("Enter the absolute path of a folder to watch.");
      return;
    }
    this.clearFormError();
    this.submit.disabled = true;
    setText(this.status, "");
    try {
      const { data } = await post("/api/v1/watches", { path, poll: this.poll.checked });
      // Its watch_status events may have come first (with its first job): they are newer.
      if (this.loaded && !this.watches.has(data.id)) {
        this.watches.set(data.id, data);
        this.render();
      }
      setText(this.status, `Watching ${data.path}.`);
      this.poll.checked = false;
    } catch (error) {
      const code = error instanceof ApiError && error.code ? ` (${error.code})` : "";
      this.showFormError(`${error.message}${code}`);
    } finally {
      this.submit.disabled = false;
    }
  }

  showFormError(message) {
    setText(this.formError, message);
    show(this.formError, true);
    this.path.setAttribute("aria-invalid", "true");
    this.path.focus();
  }

  clearFormError() {
    show(this.formError, false);
    this.path.removeAttribute("aria-invalid");
  }

  async stop(watch, button) {
    const sure = await confirmAction({
      title: "Stop watching this folder?",
      text:
        "Files added or changed in it will no longer be picked up by themselves, and its " +
        "running job, if any, is cancelled. Its videos stay in the library.",
      items: [watch.path],
      action: "Stop watching",
    });
    if (!sure) return;
    button.disabled = true;
    try {
      await remove(`/api/v1/watches/${segment(watch.id)}`);
      this.watches.delete(watch.id);
      this.render();
      setText(this.status, `No longer watching ${watch.path}.`);
      this.path.focus();
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.code === this.app.vocabulary.error.NOT_FOUND) {
        this.watches.delete(watch.id);
        this.render();
        return;
      }
      setText(this.error, `${watch.path} could not be removed: ${error.message}`);
      show(this.error, true);
    }
  }
}
