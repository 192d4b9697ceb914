// Hover scrubbing on the library's cards (scrub.js is the detail view's scrubber). A
// video with a scrub strip (``strip_frames`` frames side by side in one JPEG,
// GET /api/v1/videos/{id}/strip) shows, while the pointer moves along its thumbnail, the
// strip's frame for that position: a pointer at fraction f of the width shows frame
// min(floor(f × frames), frames − 1). Leaving the card shows the thumbnail again. A
// thumbnail_ready event with strip_frames makes a new strip available at once.

import { segment } from "./api.js";
import { frameAt } from "./scrub.js";

/** The strip's URL for a video; ``version`` changes whenever the strip may have. */
export function stripUrl(videoId, version) {
  return `/api/v1/videos/${segment(videoId)}/strip?v=${encodeURIComponent(version)}`;
}

export class CardScrubber {
  constructor(library) {
    this.library = library;
    /** video id -> {version, frames}: strips made since the list was read. */
    this.fresh = new Map();
    /** strip URL -> its image once loaded (its size gives each frame's shape). */
    this.images = new Map();
    this.active = null;
    const grid = library.grid;
    grid.addEventListener("pointermove", (event) => this.moved(event));
    grid.addEventListener("pointerout", (event) => {
      const thumb = event.target.closest?.(".thumb");
      if (thumb && !thumb.contains(event.relatedTarget)) this.stop(thumb);
    });
  }

  /** A strip was made for ``videoId`` (a thumbnail_ready event with ``strip_frames``). */
  stripReady(videoId, frames, eventId) {
    if (!Number.isInteger(frames) || frames < 1) return;
    this.fresh.set(videoId, { version: `ready-${eventId}`, frames });
    const item = this.library.items.get(videoId);
    if (item) item.dataset.stripFrames = String(frames);
  }

  /** The strip of the video on a card: {url, frames}, or null when it has none. */
  stripOf(videoId) {
    const fresh = this.fresh.get(videoId);
    if (fresh) return { url: stripUrl(videoId, fresh.version), frames: fresh.frames };
    const video = this.library.videos.find((shown) => shown.id === videoId);
    const frames = video?.strip_frames;
    if (!Number.isInteger(frames) || frames < 1) return null;
    return { url: stripUrl(videoId, `${frames}@${video.updated_at}`), frames };
  }

  moved(event) {
    const thumb = event.target.closest?.(".thumb");
    const card = thumb?.closest(".card");
    if (!thumb || !card) return;
    const strip = this.stripOf(card.dataset.videoId);
    if (strip === null) return;
    const box = thumb.getBoundingClientRect();
    if (box.width <= 0) return;
    const frame = frameAt((event.clientX - box.left) / box.width, strip.frames);
    this.show(thumb, strip, frame);
  }

  /** Show frame ``frame`` of ``strip`` over ``thumb``, once the strip has loaded. */
  show(thumb, strip, frame) {
    let layer = thumb.querySelector(".card-scrub");
    if (layer === null) {
      layer = document.createElement("div");
      layer.className = "card-scrub";
      layer.setAttribute("aria-hidden", "true");
      // Shown once the strip is drawn in it.
      layer.hidden = true;
      thumb.append(layer);
    }
    thumb.dataset.scrubFrame = String(frame);
    const image = this.images.get(strip.url);
    if (image === undefined) {
      const loading = new Image();
      this.images.set(strip.url, null);
      loading.addEventListener("load", () => {
        this.images.set(strip.url, loading);
        if (thumb.dataset.scrubFrame !== undefined) {
          this.show(thumb, strip, Number(thumb.dataset.scrubFrame));
        }
      });
      loading.addEventListener("error", () => this.images.delete(strip.url));
      loading.src = strip.url;
      return;
    }
    if (image === null) return; // still loading
    // Fit one frame inside the thumbnail's box, as the thumbnail itself is fitted.
    const frameWidth = image.naturalWidth / strip.frames;
    const frameHeight = image.naturalHeight;
    const box = thumb.getBoundingClientRect();
    const scale = Math.min(box.width / frameWidth, box.height / frameHeight);
    const width = frameWidth * scale;
    const height = frameHeight * scale;
    layer.style.width = `${width}px`;
    layer.style.height = `${height}px`;
    layer.style.left = `${(box.width - width) / 2}px`;
    layer.style.top = `${(box.height - height) / 2}px`;
    layer.style.backgroundImage = `url("${strip.url}")`;
    layer.style.backgroundSize = `${image.naturalWidth * scale}px ${height}px`;
    layer.style.backgroundPosition = `${-frame * width}px 0px`;
    layer.hidden = false;
    thumb.classList.add("scrubbing");
  }

  stop(thumb) {
    delete thumb.dataset.scrubFrame;
    thumb.classList.remove("scrubbing");
    const layer = thumb.querySelector(".card-scrub");
    if (layer) layer.hidden = true;
  }

  /** The list was read afresh: strips it names are current again. */
  reset() {
    this.fresh.clear();
  }
}
