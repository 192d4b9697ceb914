// Start-up: learn the server's vocabulary, open the event stream, show the view the URL names.

import { get } from "./api.js";
import { byId, setText, show } from "./dom.js";
import { EventStream } from "./events.js";
import * as format from "./format.js";
import { JobStore } from "./jobs-store.js";
import { JobsView } from "./jobs.js";
import { LibraryView } from "./library.js";
import { Vocabulary } from "./protocol.js";
import { Router } from "./router.js";
import { ScanDialog, trackedScan } from "./scan.js";

const TITLES = { library: "Library", jobs: "Jobs" };

class App {
  constructor(info) {
    this.info = info;
    this.vocabulary = new Vocabulary(info.protocol);
    this.router = new Router();
    this.jobs = new JobStore(this.vocabulary);
    this.stream = new EventStream(this.vocabulary);
    this.library = new LibraryView(this);
    this.jobsView = new JobsView(this);
    this.scan = new ScanDialog(this);
    this.view = null;
    this.connection = byId("connection");
    this.activeScan = byId("active-scan");
    this.liveCount = byId("jobs-live-count");
    /** Whether the state shown has been loaded since the stream last lost events. */
    this.synced = false;

    this.stream.addEventListener("event", (event) => this.dispatch(event.detail));
    this.stream.addEventListener("state", (event) => this.connectionChanged(event.detail));
    this.stream.addEventListener("resync", () => this.resync());
    this.jobs.addEventListener("change", () => this.jobsChanged());
    this.router.onChange((url, how) => this.route(url, how));
    byId("open-scan").addEventListener("click", () => this.openScan());
    this.activeScan.addEventListener("click", () => this.openScan());
    document.body.dataset.ready = "false";
  }

  start() {
    // The stream first: state is loaded once it is open, so no event falls in between.
    this.stream.start();
    this.router.start();
    setText(byId("version"), `stoat-ferret ${this.info.version}`);
  }

  route(url, how) {
    let view = url.pathname === "/jobs" ? "jobs" : "library";
    // The dialog opens over whatever view was showing (the library on a fresh load).
    if (url.pathname === "/scan" && this.view !== null) view = this.view;
    if (view !== this.view) {
      this.view = view;
      show(this.library.root, view === "library");
      show(this.jobsView.root, view === "jobs");
      for (const link of document.querySelectorAll("nav [data-view]")) {
        if (link.dataset.view === view) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      document.title = `${TITLES[view]} — stoat-ferret`;
      // After a click on a link, start reading at the new view's heading.
      if (how === "push" && url.pathname !== "/scan") byId(`${view}-heading`).focus();
    }
    if (view === "library") this.library.route(url);
    this.scan.route(url);
    this.trackedChanged();
  }

  /** Open the scan dialog: on the scan this tab follows while it runs, else on the form. */
  openScan() {
    const tracked = this.jobs.get(trackedScan());
    const live = tracked !== null && this.vocabulary.isLive(tracked.status);
    this.scan.open({ jobId: live ? tracked.job_id : null });
  }

  dispatch(event) {
    const { event: names } = this.vocabulary;
    const payload = event.payload ?? {};
    switch (event.type) {
      case names.JOB_STATUS:
        this.jobs.put(payload);
        break;
      case names.JOB_PROGRESS:
        this.jobs.progress(payload);
        break;
      case names.SCAN_COMPLETED:
        this.library.reload();
        break;
      case names.THUMBNAIL_READY:
        this.library.thumbnailReady(payload.video_id, event.id);
        break;
      default:
        break;
    }
  }

  connectionChanged({ state, resumed }) {
    document.body.dataset.connection = state;
    const words = { connecting: "Connecting…", open: "Live", closed: "Reconnecting…" };
    setText(this.connection, words[state]);
    this.connection.dataset.state = state;
    // A connection that could not resume may have missed events: load state afresh.
    if (state === "open" && !resumed) this.resync();
  }

  /** Load again everything the page shows from events: jobs, the followed scan, the grid. */
  async resync() {
    const first = !this.synced;
    this.synced = true;
    if (!first) this.library.reload();
    const tracked = trackedScan();
    const loads = [this.jobs.refresh(), this.scan.refresh()];
    if (tracked && tracked !== this.scan.jobId) loads.push(this.jobs.fetch(tracked));
    const results = await Promise.allSettled(loads);
    if (results[0].status === "fulfilled") this.jobsView.markLoaded();
    const failed = results.find((outcome) => outcome.status === "rejected");
    const error = byId("jobs-error");
    if (failed && failed.reason?.code !== "NOT_FOUND") {
      setText(error, `Jobs could not be loaded: ${failed.reason?.message ?? failed.reason}`);
      show(error, true);
    }
    document.body.dataset.ready = "true";
  }

  jobsChanged() {
    const live = this.jobs.live();
    setText(this.liveCount, live.length > 0 ? String(live.length) : "");
    show(this.liveCount, live.length > 0);
    this.liveCount.setAttribute("aria-label", `${live.length} live`);
    this.trackedChanged();
  }

  /** Offer the followed scan in the header while it runs and the dialog is not showing it. */
  trackedChanged() {
    const job = this.jobs.get(trackedScan());
    const live = job !== null && this.vocabulary.isLive(job.status);
    show(this.activeScan, live && !this.scan.isOpen);
    if (live) {
      const value = format.percent(job.progress);
      setText(this.activeScan, value === null ? "Scan starting…" : `Scan ${value}%`);
    }
  }
}

function fail(message) {
  const banner = byId("app-error");
  setText(banner, message);
  show(banner, true);
  document.body.dataset.ready = "error";
}

async function boot() {
  let info;
  try {
    info = await get("/api/v1/info");
  } catch (error) {
    fail(`The server could not be reached: ${error.message}. Reload the page to try again.`);
    return;
  }
  let app;
  try {
    app = new App(info);
  } catch (error) {
    fail(`This page does not match the server (${error.message}).`);
    return;
  }
  app.start();
}

boot();
