// The jobs panel: recent jobs, newest first, kept live from /ws through the job store,
// with a cancel button on every job that is still pending or running.

import { ApiError, post, segment } from "./api.js";
import { byId, find, fromTemplate, setText, show } from "./dom.js";
import * as format from "./format.js";

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

export class JobsView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-jobs");
    this.table = byId("jobs-table");
    this.body = byId("jobs-body");
    this.empty = byId("jobs-empty");
    this.error = byId("jobs-error");
    /** job id -> its row. */
    this.rows = new Map();
    /** Jobs a cancel was asked for that have not ended yet. */
    this.cancelling = new Set();
    /** Whether the job history has been loaded once (until then, no "no jobs" message). */
    this.loaded = false;
    app.jobs.addEventListener("change", (event) => this.update(event.detail.job));
    byId("jobs-empty-scan").addEventListener("click", () => this.app.openScan());
    this.renderEmpty();
  }

  /** Show or update one job's row. */
  update(job) {
    let row = this.rows.get(job.job_id);
    if (row === undefined) {
      const ordered = this.app.jobs.list().slice(0, JOBS_SHOWN);
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
    show(this.empty, none && this.loaded);
    show(this.table, !none);
  }

  createRow(jobId) {
    const row = fromTemplate("job-row");
    row.dataset.jobId = jobId;
    find(row, ".cancel").addEventListener("click", () => this.cancel(jobId, row));
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
      if (error instanceof ApiError && error.code === "ALREADY_TERMINAL") {
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
}
