// The jobs panel: recent jobs, newest first, kept live from /ws through the job store,
// with a cancel button on every job that is still pending or running, the errors of
// any job one click away, filters by kind and status (in the URL), and finished jobs
// cleared from the list (remembered by the browser; the server keeps the history).

import { ApiError, post, segment } from "./api.js";
import { byId, element, find, fromTemplate, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";
import { openModal, trapFocus } from "./modal.js";
import * as prefs from "./prefs.js";

/** Finished jobs that ended at or before this time are cleared from the list. */
const CLEARED_KEY = "jobs-cleared-before";

/** Jobs the panel lists at most. */
export const JOBS_SHOWN = 50;

/** Result counts worth a word in a job's one-line summary: key, then how to say it. */
const RESULT_WORDS = [
  ["new", (n) => `${n} new`],
  ["updated", (n) => `${n} updated`],
  ["unchanged", (n) => `${n} unchanged`],
  ["made", (n) => `${n} made`],
  ["missing", (n) => `${n} marked missing`],
  ["reappeared", (n) => `${n} reappeared`],
  ["error_count", (n) => format.count(n, "error")],
];

/** A finished job's result in one line, e.g. "6 new · 1 error". */
export function resultSummary(result) {
  if (!result || typeof result !== "object") return "";
  const parts = RESULT_WORDS.filter(([key]) => Number(result[key]) > 0).map(([key, say]) =>
    say(Number(result[key])),
  );
  return parts.length > 0 ? parts.join(" · ") : "nothing to do";
}

/** What a job works on, from its params. */
export function jobTarget(params) {
  if (!params || typeof params !== "object") return "";
  if (typeof params.path === "string") {
    const notes = [];
    if (params.recursive === false) notes.push("this folder only");
    if (params.force === true) notes.push("every file");
    return notes.length > 0 ? `${params.path} (${notes.join(", ")})` : params.path;
  }
  if (Array.isArray(params.video_ids)) return format.count(params.video_ids.length, "video");
  if ("video_ids" in params) return "every video without a thumbnail";
  return "";
}

/** /jobs with these filters (empty ones left out). */
export function jobsUrl({ kind = "", status = "" } = {}) {
  const params = new URLSearchParams();
  if (kind) params.set("kind", kind);
  if (status) params.set("status", status);
  const query = params.toString();
  return query ? `/jobs?${query}` : "/jobs";
}

export class JobsView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-jobs");
    this.table = byId("jobs-table");
    this.body = byId("jobs-body");
    this.empty = byId("jobs-empty");
    this.noneMatch = byId("jobs-none-match");
    this.error = byId("jobs-error");
    this.kindSelect = byId("jobs-kind");
    this.statusSelect = byId("jobs-status");
    this.clearButton = byId("jobs-clear");
    this.unclearButton = byId("jobs-unclear");
    this.errorsDialog = byId("errors-dialog");
    /** job id -> its row. */
    this.rows = new Map();
    /** Jobs a cancel was asked for that have not ended yet. */
    this.cancelling = new Set();
    /** Whether the job history has been loaded once (until then, no "no jobs" message). */
    this.loaded = false;
    this.kind = "";
    this.status = "";
    this.clearedBefore = prefs.read(CLEARED_KEY);
    for (const kind of app.vocabulary.kinds) this.kindSelect.append(new Option(kind, kind));
    for (const status of app.vocabulary.statuses) this.statusSelect.append(new Option(status, status));
    this.kindSelect.addEventListener("change", () => this.filterChanged());
    this.statusSelect.addEventListener("change", () => this.filterChanged());
    this.clearButton.addEventListener("click", () => this.clearFinished());
    this.unclearButton.addEventListener("click", () => this.showCleared());
    trapFocus(this.errorsDialog);
    for (const button of this.errorsDialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => this.errorsDialog.close());
    }
    app.jobs.addEventListener("change", (event) => this.update(event.detail.job));
    byId("jobs-empty-scan").addEventListener("click", () => this.app.openScan());
    this.renderEmpty();
  }

  /** Follow the URL's filters: /jobs?kind=&status=. */
  route(url) {
    const kind = url.searchParams.get("kind") ?? "";
    const status = url.searchParams.get("status") ?? "";
    this.kindSelect.value = this.app.vocabulary.kinds.includes(kind) ? kind : "";
    this.statusSelect.value = this.app.vocabulary.statuses.includes(status) ? status : "";
    if (this.kindSelect.value === this.kind && this.statusSelect.value === this.status) return;
    this.kind = this.kindSelect.value;
    this.status = this.statusSelect.value;
    this.rebuild();
    // Older jobs of this kind and status may not be among the newest ones loaded so far.
    if (this.kind || this.status) {
      this.app.jobs
        .refresh(JOBS_SHOWN, { kind: this.kind || null, status: this.status || null })
        .catch((error) => this.showError(`Jobs could not be loaded: ${error.message}`));
    }
  }

  filterChanged() {
    this.app.router.navigate(jobsUrl({ kind: this.kindSelect.value, status: this.statusSelect.value }), {
      replace: true,
    });
  }

  /** Whether ``job`` belongs in the list: it matches the filters and was not cleared. */
  visible(job) {
    if (this.kind && job.kind !== this.kind) return false;
    if (this.status && job.status !== this.status) return false;
    return !this.isCleared(job);
  }

  isCleared(job) {
    return (
      this.clearedBefore !== null &&
      this.app.vocabulary.isTerminal(job.status) &&
      Boolean(job.finished_at) &&
      job.finished_at <= this.clearedBefore
    );
  }

  /** The jobs the list shows, newest first. */
  shown() {
    return this.app.jobs.list().filter((job) => this.visible(job)).slice(0, JOBS_SHOWN);
  }

  /** Build every row again (after a filter or clearing changed). */
  rebuild() {
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    for (const job of this.shown()) {
      const row = this.createRow(job.job_id);
      this.body.append(row);
      this.rows.set(job.job_id, row);
      this.fill(row, job);
    }
    this.renderEmpty();
  }

  /** Clear every finished job shown from the list; jobs still running stay. */
  clearFinished() {
    const ended = this.app.jobs
      .list()
      .filter((job) => this.app.vocabulary.isTerminal(job.status) && job.finished_at)
      .map((job) => job.finished_at);
    if (ended.length === 0) return;
    const newest = ended.reduce((a, b) => (a > b ? a : b));
    if (this.clearedBefore === null || newest > this.clearedBefore) this.clearedBefore = newest;
    prefs.write(CLEARED_KEY, this.clearedBefore);
    this.rebuild();
    this.clearButton.focus();
  }

  showCleared() {
    this.clearedBefore = null;
    prefs.write(CLEARED_KEY, null);
    this.rebuild();
    this.clearButton.focus();
  }

  showError(text) {
    setText(this.error, text);
    show(this.error, true);
  }

  /** Show or update one job's row. */
  update(job) {
    let row = this.rows.get(job.job_id);
    if (!this.visible(job)) {
      if (row !== undefined) {
        row.remove();
        this.rows.delete(job.job_id);
        this.renderEmpty();
      }
      return;
    }
    if (row === undefined) {
      const ordered = this.shown();
      const index = ordered.findIndex((known) => known.job_id === job.job_id);
      if (index < 0) return;
      row = this.createRow(job.job_id);
      const after = ordered.slice(index + 1).find((known) => this.rows.has(known.job_id));
      this.body.insertBefore(row, after ? this.rows.get(after.job_id) : null);
      this.rows.set(job.job_id, row);
      this.trim(ordered);
    }
    this.fill(row, job);
    this.renderEmpty();
  }

  /** Drop rows of jobs that fell out of the newest JOBS_SHOWN. */
  trim(ordered) {
    const shown = new Set(ordered.map((job) => job.job_id));
    for (const [jobId, row] of this.rows) {
      if (!shown.has(jobId)) {
        row.remove();
        this.rows.delete(jobId);
      }
    }
  }

  /** The history has been loaded: from now on an empty table means there are no jobs. */
  markLoaded() {
    this.loaded = true;
    this.renderEmpty();
  }

  renderEmpty() {
    const none = this.rows.size === 0;
    const anyJob = this.app.jobs.list().length > 0;
    show(this.empty, none && this.loaded && !anyJob);
    show(this.noneMatch, none && this.loaded && anyJob);
    const filtered = Boolean(this.kind || this.status);
    setText(
      byId("jobs-none-why"),
      filtered ? "None of the jobs loaded matches these filters." : "Finished jobs were cleared from the list.",
    );
    show(this.table, !none);
    const cleared = this.app.jobs.list().filter((job) => this.isCleared(job)).length;
    show(this.unclearButton, this.clearedBefore !== null);
    setText(this.unclearButton, cleared > 0 ? `Show cleared jobs (${cleared})` : "Show cleared jobs");
    this.clearButton.disabled = !this.app.jobs
      .list()
      .some((job) => this.app.vocabulary.isTerminal(job.status) && !this.isCleared(job));
  }

  createRow(jobId) {
    const row = fromTemplate("job-row");
    row.dataset.jobId = jobId;
    find(row, ".cancel").addEventListener("click", () => this.cancel(jobId, row));
    find(row, ".show-errors").addEventListener("click", () => this.showErrors(jobId));
    return row;
  }

  fill(row, job) {
    const vocabulary = this.app.vocabulary;
    const live = vocabulary.isLive(job.status);
    row.dataset.outcome = vocabulary.outcome(job);
    setText(find(row, ".kind"), job.kind);
    const status = find(row, ".status");
    setText(status, job.status);
    status.dataset.outcome = vocabulary.outcome(job);

    const value = format.percent(job.progress);
    const meter = find(row, "[role=progressbar]");
    meter.setAttribute("aria-label", `Progress of ${job.kind} job ${job.job_id}`);
    if (value === null) meter.removeAttribute("aria-valuenow");
    else meter.setAttribute("aria-valuenow", String(value));
    find(meter, ".meter-fill").style.width = `${value ?? 0}%`;
    let progressText = value === null ? "–" : `${value}%`;
    if (job.total !== null && job.total !== undefined) {
      progressText += ` (${job.processed ?? 0}/${job.total})`;
    }
    setText(find(row, ".progress-text"), progressText);

    setText(find(row, ".started"), format.localTime(job.started_at ?? job.created_at));
    const seconds = format.secondsBetween(job.started_at, job.finished_at);
    let duration = "";
    if (seconds !== null) duration = format.span(seconds);
    else if (live) duration = job.started_at ? "in progress" : "waiting";
    setText(find(row, ".duration"), duration);

    const target = find(row, ".target");
    setText(target, jobTarget(job.params));
    target.title = target.textContent;
    let outcome = job.error ?? resultSummary(job.result);
    if (live) outcome = job.current_file ? `Current file: ${job.current_file}` : "";
    setText(find(row, ".outcome"), outcome);

    const errorCount = Number(job.result?.error_count ?? 0);
    const errorsButton = find(row, ".show-errors");
    show(errorsButton, errorCount > 0);
    setText(errorsButton, format.count(errorCount, "error"));
    errorsButton.setAttribute("aria-label", `Show the ${format.count(errorCount, "error")} of ${job.kind} job ${job.job_id}`);

    const button = find(row, ".cancel");
    show(button, live);
    button.setAttribute("aria-label", `Cancel ${job.kind} job ${job.job_id}`);
    if (!live) this.cancelling.delete(job.job_id);
    const waiting = this.cancelling.has(job.job_id);
    button.disabled = waiting;
    setText(button, waiting ? "Cancelling…" : "Cancel");
  }

  async cancel(jobId, row) {
    this.cancelling.add(jobId);
    const known = this.app.jobs.get(jobId);
    if (known !== null) this.fill(row, known);
    show(this.error, false);
    try {
      // 200: cancelled. 202: still winding down; the button stays busy until /ws says it ended.
      const { data } = await post(`/api/v1/jobs/${segment(jobId)}/cancel`, {});
      this.app.jobs.put(data);
    } catch (error) {
      if (error instanceof ApiError && error.code === this.app.vocabulary.error.ALREADY_TERMINAL) {
        await this.app.jobs.fetch(jobId).catch(() => null);
      } else {
        this.cancelling.delete(jobId);
        const job = this.app.jobs.get(jobId);
        if (job !== null) this.fill(row, job);
        setText(this.error, `The job could not be cancelled: ${error.message}`);
        show(this.error, true);
      }
    }
  }

  /** Open the errors of a job (its result's list) in a dialog, however long ago it ran. */
  showErrors(jobId) {
    const job = this.app.jobs.get(jobId);
    if (job === null) return;
    const errors = Array.isArray(job.result?.errors) ? job.result.errors : [];
    const total = Number(job.result?.error_count ?? errors.length);
    setText(byId("errors-title"), `${format.count(total, "error")} of ${job.kind} job`);
    setText(byId("errors-target"), jobTarget(job.params));
    replaceChildren(
      byId("errors-list"),
      errors.map((failure) => {
        const item = element("li");
        item.append(
          element("span", failure.path ?? failure.video_id ?? "", "path"),
          element("span", failure.error, "reason"),
        );
        return item;
      }),
    );
    const more = total - errors.length;
    setText(byId("errors-more"), more > 0 ? `…and ${format.count(more, "more error")} the server did not keep.` : "");
    openModal(this.errorsDialog, byId("errors-title"));
  }
}
