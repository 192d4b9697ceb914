// Scrubbing on the detail view: the video's scrub strip (GET /api/v1/videos/{id}/strip,
// `strip_frames` frames side by side in one row, each 160 pixels wide) shown as a row of
// frames. Dragging along it, or the arrow keys on it, shows that frame large and, when the
// player can play the file, seeks the player there.

import { segment } from "./api.js";
import { byId, setText, show } from "./dom.js";
import * as format from "./format.js";

/** Which of ``frames`` frames a pointer at ``fraction`` (0–1) of the strip's width is on. */
export function frameAt(fraction, frames) {
  const clamped = Math.min(Math.max(fraction, 0), 1);
  return Math.min(Math.floor(clamped * frames), frames - 1);
}

/** Seconds into a video of ``duration`` seconds that frame ``index`` of ``frames`` shows. */
export function secondsOf(index, frames, duration) {
  return ((index + 0.5) / frames) * duration;
}

export class Scrubber {
  /** ``seek(seconds)`` moves the player, or does nothing when it cannot play the file. */
  constructor({ seek }) {
    this.seek = seek;
    this.section = byId("video-scrub");
    this.frame = byId("scrub-frame");
    this.strip = byId("scrub-strip");
    this.image = byId("scrub-image");
    this.marker = byId("scrub-marker");
    this.caption = byId("scrub-caption");
    this.video = null;
    this.frames = 0;
    this.index = 0;
    this.dragging = false;

    this.strip.addEventListener("pointerdown", (event) => this.pointerDown(event));
    this.strip.addEventListener("pointermove", (event) => this.pointerMove(event));
    this.strip.addEventListener("pointerup", (event) => this.pointerUp(event));
    this.strip.addEventListener("pointercancel", (event) => this.pointerUp(event));
    this.strip.addEventListener("keydown", (event) => this.key(event));
    this.image.addEventListener("load", () => this.loaded());
    this.image.addEventListener("error", () => show(this.section, false));
  }

  /** Show ``video``'s strip, or hide the scrubber while it has none. */
  load(video, version = "") {
    this.video = video;
    this.frames = Number.isInteger(video.strip_frames) && video.strip_frames > 0 ? video.strip_frames : 0;
    show(this.section, false);
    if (this.frames === 0) {
      this.image.removeAttribute("src");
      return;
    }
    const url = `/api/v1/videos/${segment(video.id)}/strip${version ? `?v=${encodeURIComponent(version)}` : ""}`;
    this.url = url;
    this.image.src = url;
  }

  /** The strip is here: size the large frame after it and show the first frame. */
  loaded() {
    if (this.frames === 0 || this.video === null) return;
    const frameWidth = this.image.naturalWidth / this.frames;
    this.frame.style.aspectRatio = `${frameWidth} / ${this.image.naturalHeight}`;
    this.frame.style.backgroundImage = `url("${this.url}")`;
    this.frame.style.backgroundSize = `${this.frames * 100}% 100%`;
    this.marker.style.width = `${100 / this.frames}%`;
    this.strip.setAttribute("aria-valuemin", "1");
    this.strip.setAttribute("aria-valuemax", String(this.frames));
    this.showFrame(0, { seek: false });
    show(this.section, true);
  }

  /** Show frame ``index`` large (and, with ``seek``, move the player there). */
  showFrame(index, { seek = true } = {}) {
    const frames = this.frames;
    this.index = Math.min(Math.max(index, 0), frames - 1);
    const position = frames > 1 ? (this.index / (frames - 1)) * 100 : 0;
    this.frame.style.backgroundPosition = `${position}% 0`;
    this.frame.dataset.frame = String(this.index);
    this.marker.style.left = `${(this.index / frames) * 100}%`;
    const video = this.video;
    const seconds = secondsOf(this.index, frames, video.duration_seconds);
    const num = video.frame_rate_numerator;
    const den = video.frame_rate_denominator;
    const at = format.timecode(Math.floor((seconds * num) / den), num, den);
    const text = `Frame ${this.index + 1} of ${frames}, at ${at}`;
    this.strip.setAttribute("aria-valuenow", String(this.index + 1));
    this.strip.setAttribute("aria-valuetext", text);
    this.frame.setAttribute("aria-label", `The video at ${at}`);
    setText(this.caption, text);
    if (seek) this.seek(seconds);
  }

  fractionOf(event) {
    const box = this.strip.getBoundingClientRect();
    return box.width > 0 ? (event.clientX - box.left) / box.width : 0;
  }

  pointerDown(event) {
    if (event.button !== 0 || this.frames === 0) return;
    this.dragging = true;
    this.strip.setPointerCapture(event.pointerId);
    this.strip.focus();
    this.showFrame(frameAt(this.fractionOf(event), this.frames));
  }

  pointerMove(event) {
    if (!this.dragging) return;
    const index = frameAt(this.fractionOf(event), this.frames);
    if (index !== this.index) this.showFrame(index);
  }

  pointerUp(event) {
    if (!this.dragging) return;
    this.dragging = false;
    if (this.strip.hasPointerCapture(event.pointerId)) this.strip.releasePointerCapture(event.pointerId);
  }

  key(event) {
    if (this.frames === 0) return;
    const step = Math.max(1, Math.round(this.frames / 10));
    const moves = {
      ArrowLeft: this.index - 1,
      ArrowDown: this.index - 1,
      ArrowRight: this.index + 1,
      ArrowUp: this.index + 1,
      PageDown: this.index - step,
      PageUp: this.index + step,
      Home: 0,
      End: this.frames - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const index = Math.min(Math.max(moves[event.key], 0), this.frames - 1);
    if (index !== this.index) this.showFrame(index);
  }
}
