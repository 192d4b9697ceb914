// Export buttons: the videos the view shows (its folder and filters, in its sort) as a
// link to GET /api/v1/videos/export, and the selected videos through
// POST /api/v1/videos/export, downloaded from the answer's bytes. Formats are the server's.

import { ApiError, NETWORK_ERROR } from "./api.js";
import { filterParams } from "./browse-state.js";
import { byId, element, setText } from "./dom.js";

const FORMAT_LABELS = { CSV: "CSV", JSON: "JSON", OTIO: "OTIO" };

/** The file name a Content-Disposition header gives, or ``fallback``. */
function attachmentName(header, fallback) {
  const match = /filename="([^"]+)"/.exec(header ?? "");
  return match ? match[1] : fallback;
}

export class ExportButtons {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    this.viewGroup = byId("export-view");
    this.selectionGroup = byId("export-selection");
    this.status = byId("bulk-status");
    this.links = [];
    this.buttons = [];
    for (const [name, value] of Object.entries(app.vocabulary.exportFormat)) {
      const label = FORMAT_LABELS[name] ?? value;
      const link = element("a", label, "button-link");
      link.dataset.format = value;
      link.setAttribute("download", "");
      link.setAttribute("aria-label", `Export this view as ${label}`);
      this.viewGroup.append(link);
      this.links.push(link);
      const button = element("button", label);
      button.type = "button";
      button.dataset.format = value;
      button.setAttribute("aria-label", `Export the selection as ${label}`);
      button.addEventListener("click", () => this.exportSelection(value, button));
      this.selectionGroup.append(button);
      this.buttons.push(button);
    }
  }

  /** Point the view's links at what the view shows; a search's words are not an export filter. */
  render() {
    const state = this.library.state;
    for (const link of this.links) {
      if (state.q) {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
        link.title = "An export takes the folder and filters, not search words: select the videos to export them";
        continue;
      }
      const params = new URLSearchParams({ format: link.dataset.format, ...filterParams(state) });
      if (state.sort) params.set("sort", state.sort);
      if (state.sort && state.order) params.set("order", state.order);
      link.setAttribute("href", `/api/v1/videos/export?${params}`);
      link.removeAttribute("aria-disabled");
      link.title = "";
    }
  }

  async exportSelection(format, button) {
    const ids = this.library.selection.list().map((video) => video.id);
    if (ids.length === 0) return;
    button.disabled = true;
    try {
      let response;
      try {
        response = await fetch("/api/v1/videos/export", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ format, video_ids: ids }),
        });
      } catch {
        throw new ApiError(0, NETWORK_ERROR, "The server cannot be reached.");
      }
      if (!response.ok) {
        let message = `The server answered ${response.status}.`;
        try {
          message = (await response.json()).detail.message ?? message;
        } catch {
          // Not the API's envelope: the status says enough.
        }
        throw new ApiError(response.status, `HTTP_${response.status}`, message);
      }
      const blob = await response.blob();
      const name = attachmentName(response.headers.get("Content-Disposition"), `videos.${format}`);
      const url = URL.createObjectURL(blob);
      const link = element("a");
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      // The download has its own copy once it has started.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.report(`Exported ${ids.length === 1 ? "1 video" : `${ids.length} videos`} as ${name}.`, false);
    } catch (error) {
      this.report(`The export failed: ${error.message}`, true);
    } finally {
      button.disabled = false;
    }
  }

  report(text, failed) {
    const line = element("p", text, failed ? "error-text" : null);
    this.library.bulk.report(line);
    setText(line, text);
  }
}
