// Start-up: learn the server's vocabulary, open the event stream, show the view the URL names.

import { get } from "./api.js";
import { byId, setText, show } from "./dom.js";
import { DuplicatesView } from "./duplicates.js";
import { EventStream } from "./events.js";
import * as format from "./format.js";
import { JobStore } from "./jobs-store.js";
import { JobsView } from "./jobs.js";
import { LibraryView } from "./library.js";
import { Vocabulary } from "./protocol.js";
import { Router } from "./router.js";
import { ScanDialog, trackedScan } from "./scan.js";
import { VideoView } from "./video.js";
import { WatchesView } from "./watches.js";

const TITLES = {
  library: "Library",
  jobs: "Jobs",
  video: "Video",
  dupes: "Duplicates",
  watches: "Watched folders",
  notfound: "Page not found",
};

/** The view an address shows; null for /scan, which opens over the current one. */
function viewFor(pathname) {
  if (pathname === "/" || pathname === "/library") return "library";
  if (pathname === "/jobs") return "jobs";
  if (pathname === "/duplicates") return "dupes";
  if (pathname === "/watches") return "watches";
  if (pathname === "/scan") return null;
  if (/^\/videos\/[^/]+$/.test(pathname)) return "video";
  return "notfound";
}

class App {
  constructor(info) {
    this.info = info;
    this.vocabulary = new Vocabulary(info.protocol);
    this.router = new Router();
    this.jobs = new JobStore(this.vocabulary);
    this.stream = new EventStream(this.vocabulary);
    this.library = new LibraryView(this);
    this.jobsView = new JobsView(this);
    this.videoView = new VideoView(this);
    this.dupesView = new DuplicatesView(this);
    this.watchesView = new WatchesView(this);
    this.scan = new ScanDialog(this);
    this.roots = {
      library: this.library.root,
      jobs: this.jobsView.root,
      video: this.videoView.root,
      dupes: this.dupesView.root,
      watches: this.watchesView.root,
      notfound: byId("view-notfound"),
    };
    this.view = null;
    this.connection = byId("connection");
    this.activeScan = byId("active-scan");
    this.liveCount = byId("jobs-live-count");
    /** Whether the state shown has been loaded since the stream last lost events. */
    this.synced = false;
    /**
     * Settles once the event stream has first opened (or failed to): the library reads
     * its list after that, so no change to it falls between the list and the events.
     */
    this.streamSettled = new Promise((resolve) => {
      this.settleStream = resolve;
    });

    this.stream.addEventListener("event", (event) => this.dispatch(event.detail));
    this.stream.addEventListener("state", (event) => this.connectionChanged(event.detail));
    this.stream.addEventListener("resync", () => this.resync());
    this.jobs.addEventListener("change", (event) => this.jobsChanged(event.detail.job));
    /** Jobs seen pending or running: when one ends, the library's counts are fetched again. */
    this.runningJobs = new Set();
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
    // The dialog opens over whatever view was showing (the library on a fresh load).
    const view = viewFor(url.pathname) ?? this.view ?? "library";
    const changed = view !== this.view;
    if (changed) {
      if (this.view === "video") this.videoView.hide();
      this.view = view;
      for (const [name, root] of Object.entries(this.roots)) show(root, name === view);
      for (const link of document.querySelectorAll("nav [data-view]")) {
        if (link.dataset.view === view) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      document.title = `${TITLES[view]} — stoat-ferret`;
      // After a click on a link, start reading at the new view's heading.
      if (how === "push" && url.pathname !== "/scan") byId(`${view}-heading`).focus();
    }
    if (view === "library") this.library.route(url, how);
    else if (view === "jobs") this.jobsView.route(url);
    else if (view === "video") this.videoView.route(url);
    else if (view === "dupes") this.dupesView.route(url);
    else if (view === "watches") this.watchesView.route(url);
    else if (view === "notfound") setText(byId("notfound-path"), url.pathname);
    if (view !== "library" && url.pathname !== "/scan") {
      // The library restores its own position once its page is loaded.
      const scrollY = how === "pop" ? window.history.state?.scrollY : 0;
      if (changed || how === "pop") window.scrollTo(0, Number.isFinite(scrollY) ? scrollY : 0);
    } else if (view === "library" && how === "push" && changed) {
      window.scrollTo(0, 0);
    }
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
        this.videoView.jobChanged(payload);
        break;
      case names.JOB_PROGRESS:
        this.jobs.progress(payload);
        break;
      case names.SCAN_COMPLETED:
        // The grid has followed the scan's video events; its counts are read again.
        this.library.live.afterChange();
        break;
      case names.THUMBNAIL_READY:
        this.library.thumbnailReady(payload.video_id, event.id, payload.strip_frames ?? null);
        this.videoView.thumbnailReady(payload, event.id);
        break;
      case names.VIDEO_ADDED:
      case names.VIDEO_UPDATED:
      case names.VIDEO_MISSING:
      case names.VIDEO_MOVED:
      case names.VIDEO_REMOVED:
        this.library.live.handle(event.type, payload);
        break;
      case names.WATCH_STATUS:
        this.watchesView.changed(payload);
        break;
      default:
        break;
    }
  }

  connectionChanged({ state, resumed }) {
    if (state !== "connecting") this.settleStream();
    document.body.dataset.connection = state;
    const words = { connecting: "Connecting…", open: "Live", closed: "Reconnecting…" };
    setText(this.connection.firstElementChild, words[state]);
    this.connection.dataset.state = state;
    // A connection that could not resume may have missed events: load state afresh.
    if (state === "open" && !resumed) this.resync();
  }

  /** Load again everything the page shows from events: jobs, the followed scan, the grid. */
  async resync() {
    const first = !this.synced;
    this.synced = true;
    if (!first) this.library.reload();
    if (!first && this.watchesView.loaded) this.watchesView.reload();
    const tracked = trackedScan();
    const loads = [this.jobs.refresh(), this.scan.refresh()];
    if (tracked && tracked !== this.scan.jobId) loads.push(this.jobs.fetch(tracked));
    const results = await Promise.allSettled(loads);
    if (results[0].status === "fulfilled") this.jobsView.markLoaded();
    const failed = results.find((outcome) => outcome.status === "rejected");
    const error = byId("jobs-error");
    if (failed && failed.reason?.code !== this.vocabulary.error.NOT_FOUND) {
      setText(error, `Jobs could not be loaded: ${failed.reason?.message ?? failed.reason}`);
      show(error, true);
    }
    document.body.dataset.ready = "true";
  }

  jobsChanged(job) {
    // A job seen running that ends may have made thumbnails or changed the library: count again.
    if (job && this.vocabulary.isLive(job.status)) this.runningJobs.add(job.job_id);
    else if (job && this.runningJobs.delete(job.job_id)) this.library.refreshSummary();
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
