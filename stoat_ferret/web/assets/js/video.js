// The detail view of one video, /videos/{id}: a player, every technical field the
// library holds, grouped as an editor reads them, the path with a copy button, a
// link to its folder, its duplicates (where the API offers them) and its jobs.

import { ApiError, get, segment } from "./api.js";
import { byId, element, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";
import { libraryUrl, thumbnailUrl, thumbnailVersion } from "./library.js";
import { describe } from "./metadata.js";
import { codecName, containerName, mediaErrorText, playability } from "./player.js";
import { Scrubber } from "./scrub.js";

/** Jobs listed in a video's history (the server looks through its newest 1,000). */
const HISTORY_LIMIT = 50;

/** The video id in a /videos/{id} path, or null. */
export function videoIdOf(pathname) {
  const match = /^\/videos\/([^/]+)$/.exec(pathname);
  if (match === null) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export class VideoView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-video");
    this.heading = byId("video-heading");
    this.error = byId("video-error");
    this.content = byId("video-content");
    this.player = byId("player");
    this.message = byId("player-message");
    this.pathText = byId("video-path");
    this.copyButton = byId("copy-path");
    this.copyStatus = byId("copy-status");
    this.folderLink = byId("video-folder");
    this.facts = byId("video-facts");
    this.back = byId("video-back");
    this.videoId = null;
    this.video = null;
    this.controller = null;
    this.scrubber = new Scrubber({ seek: (seconds) => this.seekTo(seconds) });

    this.copyButton.addEventListener("click", () => this.copyPath());
    this.player.addEventListener("error", () => this.playbackFailed());
    this.back.addEventListener("click", (event) => this.goBack(event));
  }

  /** Show the video the URL names (loading it if it is another one). */
  route(url) {
    const videoId = videoIdOf(url.pathname);
    this.back.setAttribute("href", this.backTarget());
    if (videoId === this.videoId && this.video !== null) return;
    // From one video to another (a copy's link, Back): start reading at the new heading.
    const another = this.videoId !== null;
    this.videoId = videoId;
    this.load(videoId);
    if (another) this.heading.focus();
  }

  /** Where "Back" leads: the library page this view was opened from, else the library. */
  backTarget() {
    const from = window.history.state?.from;
    return typeof from === "string" && (from === "/" || from.startsWith("/library")) ? from : "/library";
  }

  goBack(event) {
    const from = window.history.state?.from;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    if (typeof from === "string" && from === this.back.getAttribute("href")) {
      // The entry before this one is that library page: going back keeps its place.
      event.preventDefault();
      window.history.back();
    }
  }

  /** Leave the view: stop playback so a hidden player does not go on. */
  hide() {
    if (!this.player.paused) this.player.pause();
  }

  async load(videoId) {
    this.controller?.abort();
    show(byId("video-jobs"), false);
    const controller = new AbortController();
    this.controller = controller;
    this.video = null;
    this.resetPlayer();
    show(this.content, false);
    show(this.error, false);
    setText(this.heading, "Video");
    this.root.setAttribute("aria-busy", "true");
    try {
      if (videoId === null) throw new ApiError(404, this.app.vocabulary.error.NOT_FOUND, "This address names no video.");
      const video = await get(`/api/v1/videos/${segment(videoId)}`, {}, { signal: controller.signal });
      if (controller !== this.controller) return;
      this.video = video;
      this.render(video);
      this.loadRelated(video, controller.signal);
    } catch (error) {
      if (error.name === "AbortError" || controller !== this.controller) return;
      const missing = error instanceof ApiError && error.code === this.app.vocabulary.error.NOT_FOUND;
      setText(this.heading, missing ? "Video not found" : "The video could not be loaded");
      document.title = `${this.heading.textContent} — stoat-ferret`;
      setText(
        this.error,
        missing
          ? `There is no video ${videoId ?? ""} in the library (${error.message}). It may have been removed.`
          : error.message,
      );
      show(this.error, true);
    } finally {
      if (controller === this.controller) this.root.setAttribute("aria-busy", "false");
    }
  }

  render(video) {
    setText(this.heading, video.filename);
    document.title = `${video.filename} — stoat-ferret`;
    const missing = byId("video-missing");
    show(missing, Boolean(video.missing));
    setText(missing, video.missing_since ? `Missing since ${format.localTime(video.missing_since)}` : "Missing");
    setText(this.pathText, video.path);
    setText(this.copyStatus, "");
    const folder = format.folderOf(video.path);
    setText(this.folderLink, folder);
    this.folderLink.setAttribute("href", libraryUrl({ folder }));
    this.renderFacts(video);
    this.setUpPlayer(video);
    this.scrubber.load(video, `${video.updated_at}`);
    show(this.content, true);
  }

  renderFacts(video) {
    const sections = describe(video).map((group) => {
      const section = element("section", null, "fact-group");
      section.dataset.group = group.id;
      const heading = element("h2", group.title);
      heading.id = `facts-${group.id}`;
      section.setAttribute("aria-labelledby", heading.id);
      section.append(heading);
      if (group.streams) {
        const table = element("table", null, "streams");
        const head = element("tr");
        for (const title of ["#", "Type", "Codec", "Details"]) {
          const cell = element("th", title);
          cell.scope = "col";
          head.append(cell);
        }
        const thead = element("thead");
        thead.append(head);
        const body = element("tbody");
        for (const stream of group.streams) {
          const line = element("tr");
          line.append(
            element("td", stream.index),
            element("td", stream.type),
            element("td", stream.codec),
            element("td", stream.details),
          );
          body.append(line);
        }
        table.append(thead, body);
        section.append(table);
        return section;
      }
      const list = element("dl", null, "facts-list");
      for (const item of group.rows) {
        const pair = element("div");
        const value = element("dd", item.value);
        if (item.title) value.title = item.title;
        pair.append(element("dt", item.label), value);
        list.append(pair);
      }
      section.append(list);
      return section;
    });
    replaceChildren(this.facts, sections);
  }

  // -- the player ------------------------------------------------------------------------

  streamUrl(video) {
    return `/api/v1/videos/${segment(video.id)}/stream`;
  }

  resetPlayer() {
    this.player.pause();
    this.player.removeAttribute("src");
    this.player.removeAttribute("poster");
    this.player.load();
    this.player.dataset.state = "idle";
    show(this.message, false);
  }

  setUpPlayer(video) {
    this.player.poster = thumbnailUrl(video.id, thumbnailVersion(video));
    this.player.setAttribute("aria-label", `Play ${video.filename}`);
    const verdict = playability(video, (type) => this.player.canPlayType(type));
    if (!verdict.playable) {
      this.player.dataset.state = "unsupported";
      show(this.player, false);
      this.say(`This browser cannot play this file: ${verdict.reason}. Open it in a player or editor that can.`);
      return;
    }
    show(this.player, true);
    this.player.dataset.state = "ready";
    this.player.src = this.streamUrl(video);
    if (verdict.note) this.say(verdict.note);
  }

  /** Move the player to ``seconds`` (a scrub), when it can play the file. */
  seekTo(seconds) {
    if (this.player.dataset.state !== "ready" || !Number.isFinite(seconds)) return;
    this.player.currentTime = seconds;
  }

  /** A thumbnail_ready event: this video's new poster and strip, without reloading it. */
  thumbnailReady(payload, eventId) {
    const video = this.video;
    if (video === null || payload?.video_id !== video.id) return;
    this.player.poster = thumbnailUrl(video.id, `ready-${eventId}`);
    if (Number.isInteger(payload.strip_frames)) {
      this.video = { ...video, strip_frames: payload.strip_frames };
      this.scrubber.load(this.video, `ready-${eventId}`);
    }
  }

  say(text) {
    setText(this.message, text);
    show(this.message, true);
  }

  /** The element gave up: say why, in the server's words if the file itself is the problem. */
  async playbackFailed() {
    const video = this.video;
    if (video === null || !this.player.getAttribute("src")) return;
    const reason = mediaErrorText(this.player.error);
    this.player.dataset.state = "error";
    let serverSays = null;
    try {
      const answer = await fetch(this.streamUrl(video), { headers: { Range: "bytes=0-0" } });
      if (!answer.ok) serverSays = (await answer.json())?.detail?.message ?? `${answer.status}`;
      else await answer.arrayBuffer();
    } catch {
      serverSays = null;
    }
    if (video !== this.video) return;
    show(this.player, false);
    if (serverSays !== null) {
      this.say(`The file cannot be played: ${serverSays}.`);
    } else {
      this.say(
        `This browser cannot play this file: ${reason} (${codecName(video.video_codec)} in ${containerName(video.container)}). ` +
          "Open it in a player or editor that can.",
      );
    }
  }

  async copyPath() {
    const path = this.video?.path;
    if (!path) return;
    try {
      await navigator.clipboard.writeText(path);
      setText(this.copyStatus, "Copied.");
    } catch {
      // No clipboard access: select the path so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(this.pathText);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      setText(this.copyStatus, "Selected: press Ctrl+C to copy.");
    }
  }

  // -- duplicates and jobs ---------------------------------------------------------------

  async loadRelated(video, signal) {
    await Promise.allSettled([this.loadDuplicates(video, signal), this.loadJobs(video, signal)]);
  }

  async loadDuplicates(video, signal) {
    const section = byId("video-duplicates");
    show(section, false);
    let copies;
    try {
      copies = (await get(`/api/v1/videos/${segment(video.id)}/duplicates`, {}, { signal })).videos;
    } catch {
      return;
    }
    if (video !== this.video) return;
    replaceChildren(
      byId("duplicate-list"),
      copies.map((other) => {
        const item = element("li");
        const link = element("a", other.path, "path");
        link.setAttribute("href", `/videos/${segment(other.id)}`);
        link.dataset.route = "";
        item.append(link);
        return item;
      }),
    );
    show(section, copies.length > 0);
  }

  /** Where a job's link leads: a job with a folder opens on its own progress and result. */
  jobUrl(job) {
    if (typeof job.params?.path === "string") return `/scan?job=${encodeURIComponent(job.job_id)}`;
    return `/jobs?${new URLSearchParams({ kind: job.kind })}`;
  }

  /**
   * A job_status event: a job that may cover this video was queued, started or ended, so
   * its history is read again (the server decides what covered it).
   */
  jobChanged(job) {
    const video = this.video;
    if (video === null || this.root.hidden || !job) return;
    const params = job.params ?? {};
    const listed = byId("video-job-list").querySelector(`li[data-job-id="${CSS.escape(String(job.job_id))}"]`);
    const folder = typeof params.path === "string" ? params.path.replace(/\/+$/, "") : null;
    const mayCover =
      listed !== null ||
      (folder !== null && (video.directory === folder || video.directory.startsWith(`${folder}/`))) ||
      params.video_ids === null ||
      (Array.isArray(params.video_ids) && params.video_ids.includes(video.id));
    if (mayCover) this.loadJobs(video, this.controller?.signal);
  }

  async loadJobs(video, signal) {
    const section = byId("video-jobs");
    const turn = (this.jobsTurn ?? 0) + 1;
    this.jobsTurn = turn;
    let jobs;
    try {
      jobs = (await get(`/api/v1/videos/${segment(video.id)}/jobs`, { limit: HISTORY_LIMIT }, { signal })).jobs;
    } catch {
      return;
    }
    if (video !== this.video || turn !== this.jobsTurn) return;
    replaceChildren(
      byId("video-job-list"),
      jobs.map((job) => {
        const item = element("li");
        item.dataset.jobId = job.job_id;
        const link = element("a", `${job.kind} · ${job.status}`);
        link.setAttribute("href", this.jobUrl(job));
        link.dataset.route = "";
        const when = job.started_at ?? job.created_at;
        const time = element("time", format.localTime(when));
        time.setAttribute("datetime", when);
        item.append(link, " · ", time);
        if (typeof job.params?.path === "string") item.append(element("span", ` · ${job.params.path}`, "path"));
        const failure = (job.result?.errors ?? []).find((error) => error.path === video.path || error.video_id === video.id);
        if (failure) item.append(element("span", ` · ${failure.error}`, "error-text"));
        return item;
      }),
    );
    show(section, jobs.length > 0);
  }
}
