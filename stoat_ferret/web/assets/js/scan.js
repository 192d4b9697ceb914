// The scan dialog: pick a folder, start a scan, follow it live, abort it, read the result.
//
// Its URL is /scan while it shows the form and /scan?job=ID while it follows a job, so a
// reload (or a link) returns to the same scan. The job being followed is also kept in
// sessionStorage, so the header can offer it again after the dialog was hidden.

import { ApiError, NETWORK_ERROR, post, segment } from "./api.js";
import { byId, element, find, replaceChildren, setText, show, tabbable } from "./dom.js";
import * as format from "./format.js";

const TRACKED_KEY = "stoat-ferret.scan-job";
/** Rate and time left are measured over the progress of the last this many ms. */
const RATE_WINDOW_MS = 10_000;
/** Shortest stretch of time a rate is worth computing over. */
const RATE_MIN_SPAN_MS = 400;

/** The scan job this tab last started or followed, or null. */
export function trackedScan() {
  try {
    return window.sessionStorage.getItem(TRACKED_KEY);
  } catch {
    return null;
  }
}

function track(jobId) {
  try {
    window.sessionStorage.setItem(TRACKED_KEY, jobId);
  } catch {
    // Storage can be off (private mode); the URL still carries the job.
  }
}

export class ScanDialog {
  constructor(app) {
    this.app = app;
    this.dialog = byId("scan-dialog");
    this.title = byId("scan-title");
    this.form = byId("scan-form");
    this.path = byId("scan-path");
    this.recursive = byId("scan-recursive");
    this.force = byId("scan-force");
    this.startButton = byId("scan-start");
    this.formError = byId("scan-error");
    this.formErrorMessage = byId("scan-error-message");
    this.formErrorCode = byId("scan-error-code");
    this.showConflict = byId("scan-error-show");
    this.watchSection = byId("scan-watch");
    this.target = byId("scan-target");
    this.statusWord = byId("scan-status");
    this.bar = byId("scan-bar");
    this.barFill = find(this.bar, ".progress-fill");
    this.percentText = byId("scan-percent");
    this.countText = byId("scan-count");
    this.liveDetails = byId("scan-live");
    this.currentFile = byId("scan-current");
    this.rateText = byId("scan-rate");
    this.etaText = byId("scan-eta");
    this.abortButton = byId("scan-abort");
    this.hideButton = byId("scan-hide");
    this.againButton = byId("scan-again");
    this.watchError = byId("scan-watch-error");
    this.resultSection = byId("scan-result");
    this.outcome = byId("scan-outcome");
    this.reason = byId("scan-reason");
    this.keptNote = byId("scan-kept");
    this.counts = byId("scan-counts");
    this.nothing = byId("scan-nothing");
    this.failures = byId("scan-failures");
    this.failureList = byId("scan-failure-list");
    this.failuresMore = byId("scan-failures-more");

    this.statusLine = find(this.watchSection, ".status-line");
    this.progressLine = find(this.watchSection, ".progress-line");

    this.mode = "form";
    this.jobId = null;
    /** The followed job could not be loaded (unknown id, or no answer): its message. */
    this.loadError = null;
    this.samples = [];
    this.aborting = false;
    this.conflictJob = null;
    /** Where focus goes back to when the dialog closes. */
    this.returnFocus = null;
    /** Set while the router (not the user) closes the dialog. */
    this.closingForRoute = false;

    this.renderRoots();
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    this.path.addEventListener("input", () => this.clearFormError());
    this.abortButton.addEventListener("click", () => this.abort());
    this.showConflict.addEventListener("click", () => {
      if (this.conflictJob) this.follow(this.conflictJob);
    });
    byId("scan-again").addEventListener("click", () => this.showForm());
    for (const button of this.dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => this.dialog.close());
    }
    this.dialog.addEventListener("keydown", (event) => this.keepFocusInside(event));
    this.dialog.addEventListener("close", () => this.closed());
    app.jobs.addEventListener("change", (event) => {
      if (event.detail.job.job_id === this.jobId) this.render();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Follow the URL: /scan opens the dialog (on a job for ?job=ID), anything else closes it. */
  route(url) {
    if (url.pathname !== "/scan") {
      if (this.isOpen) {
        this.closingForRoute = true;
        this.dialog.close();
      }
      return;
    }
    const jobId = url.searchParams.get("job");
    if (!this.isOpen) this.showModal();
    if (jobId) this.watch(jobId);
    else if (this.mode !== "form" || this.jobId !== null) this.showForm({ navigate: false });
    else this.render();
  }

  showModal() {
    const focused = document.activeElement;
    this.returnFocus = focused && focused !== document.body ? focused : null;
    this.dialog.showModal();
    this.focusFirst();
  }

  /** Open from a button: remember where we were, so closing goes back there. */
  open({ jobId = null } = {}) {
    const here = this.app.router.here;
    const from = window.location.pathname === "/scan" ? window.history.state?.scanFrom : here;
    const target = jobId ? `/scan?job=${encodeURIComponent(jobId)}` : "/scan";
    this.app.router.navigate(target, { state: { scanFrom: from ?? "/library" } });
  }

  closed() {
    const forRoute = this.closingForRoute;
    this.closingForRoute = false;
    const returnTo = this.returnFocus;
    this.returnFocus = null;
    if (!forRoute && window.location.pathname === "/scan") {
      // The user closed it: leave /scan for the view it was opened over.
      const from = window.history.state?.scanFrom;
      if (from) window.history.back();
      else this.app.router.navigate("/library", { replace: true });
    }
    this.app.trackedChanged();
    const visible = returnTo && returnTo.isConnected && returnTo.getClientRects().length > 0;
    (visible ? returnTo : byId("open-scan")).focus();
  }

  /** Tab and Shift+Tab cycle through the dialog's own controls. */
  keepFocusInside(event) {
    if (event.key !== "Tab") return;
    const controls = tabbable(this.dialog);
    if (controls.length === 0) {
      event.preventDefault();
      return;
    }
    const first = controls[0];
    const last = controls[controls.length - 1];
    const active = document.activeElement;
    const inside = this.dialog.contains(active) && controls.includes(active);
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }

  focusFirst() {
    if (this.mode === "form") this.path.focus();
    else if (this.resultSection.hidden) this.title.focus();
    else this.outcome.focus();
  }

  renderRoots() {
    const roots = this.app.info.allowed_scan_roots;
    const list = byId("scan-roots");
    replaceChildren(
      list,
      roots.map((root) => {
        const button = element("button", root, "root");
        button.type = "button";
        button.setAttribute("aria-label", `Use ${root}`);
        button.addEventListener("click", () => {
          this.path.value = root;
          this.clearFormError();
          this.path.focus();
        });
        const item = element("li");
        item.append(button);
        return item;
      }),
    );
    show(byId("scan-no-roots"), roots.length === 0);
    if (!this.path.value && roots.length > 0) this.path.value = roots[0];
  }

  /** Back to the form, for another scan. */
  showForm({ navigate = true } = {}) {
    this.mode = "form";
    this.jobId = null;
    this.loadError = null;
    this.aborting = false;
    this.clearFormError();
    this.render();
    if (navigate && window.location.search) {
      this.app.router.navigate("/scan", { replace: true, state: window.history.state });
    }
    this.path.focus();
  }

  clearFormError() {
    show(this.formError, false);
    show(this.showConflict, false);
    this.path.removeAttribute("aria-invalid");
    this.conflictJob = null;
  }

  showFormError(code, message) {
    setText(this.formErrorMessage, message);
    setText(this.formErrorCode, code);
    show(this.formError, true);
    if (this.isPathError(code)) this.path.setAttribute("aria-invalid", "true");
  }

  /** Whether ``code`` is about the path itself: the path field is marked invalid for those. */
  isPathError(code) {
    const { INVALID_PATH, PATH_NOT_ALLOWED } = this.app.vocabulary.error;
    return code === INVALID_PATH || code === PATH_NOT_ALLOWED;
  }

  async start() {
    this.clearFormError();
    const path = this.path.value.trim();
    if (!path) {
      this.showFormError("", "Enter the folder to scan.");
      this.path.setAttribute("aria-invalid", "true");
      this.path.focus();
      return;
    }
    this.startButton.disabled = true;
    try {
      const { data } = await post("/api/v1/videos/scan", {
        path,
        recursive: this.recursive.checked,
        force: this.force.checked,
      });
      this.follow(data.job_id);
    } catch (error) {
      const code = error instanceof ApiError ? error.code : NETWORK_ERROR;
      this.showFormError(code, error.message);
      if (code === this.app.vocabulary.error.SCAN_IN_PROGRESS && error.detail.job_id) {
        this.conflictJob = error.detail.job_id;
        show(this.showConflict, true);
      }
      if (this.isPathError(code)) this.path.focus();
    } finally {
      this.startButton.disabled = false;
    }
  }

  /** Follow ``jobId`` from now on: put it in the URL and in sessionStorage. */
  follow(jobId) {
    track(jobId);
    this.app.router.navigate(`/scan?job=${encodeURIComponent(jobId)}`, {
      replace: true,
      state: window.history.state,
    });
    this.app.trackedChanged();
  }

  /** Show job ``jobId``: its live progress, or its result once it has ended. */
  watch(jobId) {
    if (this.mode === "follow" && this.jobId === jobId) return;
    this.mode = "follow";
    this.jobId = jobId;
    this.samples = [];
    this.aborting = false;
    this.loadError = null;
    show(this.watchError, false);
    this.render();
    this.title.focus();
    this.refresh();
  }

  /** Fetch the followed job again (on first show, after a reconnect or a resync). */
  async refresh() {
    const jobId = this.jobId;
    if (jobId === null) return;
    try {
      await this.app.jobs.fetch(jobId);
    } catch (error) {
      if (jobId !== this.jobId) return;
      const missing = error instanceof ApiError && error.code === this.app.vocabulary.error.NOT_FOUND;
      this.loadError = missing
        ? `There is no job ${jobId}.`
        : `The scan's state could not be loaded: ${error.message}`;
      setText(this.watchError, this.loadError);
      show(this.watchError, true);
      this.render();
    }
  }

  async abort() {
    const jobId = this.jobId;
    this.aborting = true;
    show(this.watchError, false);
    this.render();
    try {
      const { data } = await post(`/api/v1/jobs/${segment(jobId)}/cancel`, {});
      // 200: cancelled, with what was kept. 202: still winding down; /ws brings the end.
      this.app.jobs.put(data);
    } catch (error) {
      if (error instanceof ApiError && error.code === this.app.vocabulary.error.ALREADY_TERMINAL) {
        // It ended on its own first: show how.
        await this.refresh();
      } else if (jobId === this.jobId) {
        this.aborting = false;
        setText(this.watchError, `The scan could not be aborted: ${error.message}`);
        show(this.watchError, true);
        this.render();
      }
    }
  }

  render() {
    const watching = this.mode === "follow";
    show(this.form, !watching);
    show(this.watchSection, watching);
    if (!watching) {
      setText(this.title, "Scan a folder");
      show(this.resultSection, false);
      return;
    }
    const job = this.app.jobs.get(this.jobId);
    const vocabulary = this.app.vocabulary;
    const known = job !== null;
    show(this.statusLine, known);
    show(this.bar, known);
    show(this.progressLine, known);
    if (job === null) {
      const failed = this.loadError !== null;
      setText(this.title, failed ? "Scan not found" : "Scan");
      setText(this.target, failed ? "–" : "Loading…");
      show(this.liveDetails, false);
      show(this.abortButton, false);
      show(this.againButton, true);
      show(this.resultSection, false);
      return;
    }
    const live = !vocabulary.isTerminal(job.status);
    setText(this.title, live ? "Scanning" : "Scan finished");
    setText(this.target, job.params?.path ?? "");
    setText(this.statusWord, job.status);
    this.statusWord.dataset.outcome = vocabulary.outcome(job);
    this.renderProgress(job, live);
    show(this.liveDetails, live);
    const hadFocus = this.dialog.contains(document.activeElement);
    show(this.abortButton, live);
    this.abortButton.disabled = this.aborting;
    setText(this.abortButton, this.aborting ? "Aborting…" : "Abort scan");
    setText(this.hideButton, live ? "Hide" : "Close");
    show(this.againButton, !live);
    const wasShowingResult = !this.resultSection.hidden;
    show(this.resultSection, !live);
    if (!live) {
      this.aborting = false;
      this.renderResult(job);
      if (!wasShowingResult && hadFocus) this.outcome.focus();
    }
  }

  renderProgress(job, live) {
    const value = format.percent(job.progress);
    if (value === null) {
      this.bar.removeAttribute("aria-valuenow");
      this.bar.setAttribute("aria-valuetext", "not known yet");
    } else {
      this.bar.setAttribute("aria-valuenow", String(value));
      const known = job.total === null || job.total === undefined ? "" : `, ${job.processed} of ${job.total} files`;
      this.bar.setAttribute("aria-valuetext", `${value}%${known}`);
    }
    this.barFill.style.width = `${value ?? 0}%`;
    this.bar.classList.toggle("indeterminate", value === null && live);
    setText(this.percentText, value === null ? "–" : `${value}%`);
    if (job.total !== null && job.total !== undefined) {
      setText(this.countText, `${job.processed} of ${format.count(job.total, "file")}`);
    } else {
      setText(this.countText, job.started_at ? "Looking for video files…" : "Waiting to start…");
    }
    if (!live) return;
    setText(this.currentFile, job.current_file ?? "–");
    this.currentFile.title = job.current_file ?? "";
    const speed = this.measure(job);
    setText(this.rateText, speed === null ? "–" : format.rate(speed));
    const left = job.total !== null && job.total !== undefined ? job.total - job.processed : null;
    setText(
      this.etaText,
      speed === null || left === null ? "–" : left === 0 ? "finishing" : `about ${format.span(left / speed)}`,
    );
  }

  /** Files per second over the recent past, or null while there is too little to go on. */
  measure(job) {
    if (job.total === null || job.total === undefined) return null;
    const now = performance.now();
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || last.processed !== job.processed) {
      this.samples.push({ at: now, processed: job.processed });
    }
    while (this.samples.length > 2 && now - this.samples[1].at > RATE_WINDOW_MS) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const newest = this.samples[this.samples.length - 1];
    const elapsed = newest.at - first.at;
    if (elapsed < RATE_MIN_SPAN_MS || newest.processed <= first.processed) return null;
    return ((newest.processed - first.processed) * 1000) / elapsed;
  }

  renderResult(job) {
    const result = job.result;
    const ok = this.app.vocabulary.outcome(job) === "ok";
    this.outcome.dataset.outcome = ok ? "ok" : "ended";
    setText(this.outcome, `Scan ${job.status}`);
    setText(this.reason, job.error ?? "");
    show(this.reason, Boolean(job.error));
    show(this.keptNote, !ok && Boolean(result));
    show(this.nothing, !result);
    show(this.counts, Boolean(result));
    show(this.failures, Boolean(result) && result.error_count > 0);
    if (!result) return;
    for (const [key, id] of [
      ["new", "count-new"],
      ["updated", "count-updated"],
      ["unchanged", "count-unchanged"],
      ["error_count", "count-errors"],
      ["missing", "count-missing"],
      ["reappeared", "count-reappeared"],
    ]) {
      setText(byId(id), result[key] ?? 0);
    }
    const errors = Array.isArray(result.errors) ? result.errors : [];
    replaceChildren(
      this.failureList,
      errors.map((failure) => {
        const item = element("li");
        item.append(element("span", failure.path, "path"), element("span", failure.error, "reason"));
        return item;
      }),
    );
    const more = (result.error_count ?? errors.length) - errors.length;
    show(this.failuresMore, more > 0);
    setText(this.failuresMore, more > 0 ? `…and ${format.count(more, "more file")}.` : "");
  }
}
