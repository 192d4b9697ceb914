// What the page knows about jobs, merged from HTTP answers and /ws events.
//
// Answers and events can arrive in any order (a GET can answer after a newer event),
// so merging only moves forward: a final state is never replaced by a live one,
// progress never goes back, and a job that has started never looks pending again.
// Dispatches "change" (detail: {job}) for every job that changed.

import { get } from "./api.js";

function laterProgress(older, newer) {
  if (newer === null || newer === undefined) return older ?? null;
  if (older === null || older === undefined) return newer;
  return Math.max(older, newer);
}

export class JobStore extends EventTarget {
  /** @param {import("./protocol.js").Vocabulary} vocabulary */
  constructor(vocabulary) {
    super();
    this.vocabulary = vocabulary;
    /** job_id -> the newest job object known. */
    this.jobs = new Map();
  }

  get(jobId) {
    return this.jobs.get(jobId) ?? null;
  }

  /** Every known job, newest first. */
  list() {
    return [...this.jobs.values()].sort((a, b) =>
      a.created_at === b.created_at ? 0 : a.created_at < b.created_at ? 1 : -1,
    );
  }

  /** Jobs still pending or running. */
  live() {
    return this.list().filter((job) => this.vocabulary.isLive(job.status));
  }

  /** Merge a whole job object (an HTTP answer or a job_status payload). */
  put(job) {
    if (!job || typeof job.job_id !== "string") return;
    const known = this.jobs.get(job.job_id);
    let merged;
    if (known === undefined) {
      merged = { ...job };
    } else if (this.vocabulary.isTerminal(known.status)) {
      // Final is final; a second final answer may only fill in what the first lacked.
      if (!this.vocabulary.isTerminal(job.status)) return;
      merged = { ...known, ...job };
    } else if (this.vocabulary.isTerminal(job.status)) {
      merged = { ...known, ...job };
    } else {
      merged = { ...known, ...job, ...this.forward(known, job) };
    }
    this.store(merged);
  }

  /** Merge a job_progress payload: {job_id, kind, status, progress, processed, total, current_file}. */
  progress(payload) {
    if (!payload || typeof payload.job_id !== "string") return;
    const known = this.jobs.get(payload.job_id);
    if (known !== undefined && this.vocabulary.isTerminal(known.status)) return;
    const base = known ?? {
      job_id: payload.job_id,
      kind: payload.kind,
      status: payload.status,
      params: {},
      result: null,
      error: null,
      created_at: "",
      started_at: null,
      finished_at: null,
    };
    const merged = { ...base, ...this.forward(base, payload) };
    merged.kind = payload.kind ?? base.kind;
    merged.current_file = payload.current_file ?? base.current_file ?? null;
    // The last progress event of a job carries its final status before the job_status
    // event with its result: the job becomes final with that event, not this one.
    if (!this.vocabulary.isTerminal(payload.status)) merged.status = payload.status;
    this.store(merged);
  }

  /** Fields of ``update`` merged forward onto ``known``. */
  forward(known, update) {
    const fields = {
      progress: laterProgress(known.progress, update.progress),
      processed: Math.max(known.processed ?? 0, update.processed ?? 0),
      total: update.total ?? known.total ?? null,
    };
    if (known.started_at && !update.started_at) {
      fields.status = known.status;
      fields.started_at = known.started_at;
    }
    return fields;
  }

  store(job) {
    this.jobs.set(job.job_id, job);
    this.dispatchEvent(new CustomEvent("change", { detail: { job } }));
  }

  /** Fetch the newest ``limit`` jobs (of a ``kind`` and ``status``, if given) and merge them in. */
  async refresh(limit = 50, { kind = null, status = null } = {}) {
    const answer = await get("/api/v1/jobs", { limit, kind, status });
    for (const job of answer.jobs) this.put(job);
    return answer;
  }

  /** Fetch one job and merge it in; resolves to the merged job. */
  async fetch(jobId) {
    const job = await get(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
    this.put(job);
    return this.get(jobId);
  }
}
