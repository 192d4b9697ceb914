// Purge missing entries: remove from the library every entry whose file is missing, in
// the folder the view shows (or everywhere), after a confirmation that says how many
// and where. Shown only while there are some. The grid follows from video_removed.

import { get, post } from "./api.js";
import { byId, setText, show } from "./dom.js";
import * as format from "./format.js";
import { confirmAction } from "./modal.js";

export class PurgeMissing {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    this.button = byId("purge-missing");
    this.status = byId("purge-status");
    /** Missing entries where the view looks ({folder, missing}), or null until known. */
    this.known = null;
    this.reading = 0;
    this.button.addEventListener("click", () => this.purge());
  }

  /** How many are missing where the view looks now, or null if not known yet. */
  count() {
    const known = this.known;
    return known !== null && known.folder === this.library.state.folder ? known.missing : null;
  }

  render() {
    const count = this.count();
    show(this.button, Number.isInteger(count) && count > 0);
  }

  /** Read how many are missing in the view's folder (or the library). */
  async refresh() {
    const folder = this.library.state.folder;
    this.reading += 1;
    const reading = this.reading;
    try {
      let missing;
      if (folder) {
        const answer = await get("/api/v1/folders", { parent: folder });
        missing = answer.parent?.missing ?? 0;
      } else {
        missing = (await get("/api/v1/library/summary")).missing;
      }
      if (reading === this.reading) this.known = { folder, missing };
    } catch {
      if (reading === this.reading) this.known = null;
    }
    this.render();
  }

  async purge() {
    const folder = this.library.state.folder;
    const count = this.count() ?? 0;
    const where = folder ? `in ${folder} and the folders below it` : "in the whole library";
    const sure = await confirmAction({
      title: `Purge ${format.count(count, "missing entry", "missing entries")}?`,
      text:
        `The entries of ${format.count(count, "file", "files")} that scans no longer find, ${where}, ` +
        "are removed from the library with their thumbnails. No file on disk is touched.",
      action: "Purge",
    });
    if (!sure) return;
    this.button.disabled = true;
    setText(this.status, "");
    try {
      const { data } = await post("/api/v1/videos/purge-missing", { folder: folder || null });
      setText(this.status, `Removed ${format.count(data.removed, "missing entry", "missing entries")}.`);
    } catch (error) {
      setText(this.status, `Missing entries could not be purged: ${error.message}`);
    } finally {
      this.button.disabled = false;
    }
  }
}
