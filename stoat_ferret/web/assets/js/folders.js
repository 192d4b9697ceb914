// The folder tree beside the library: the folders that hold videos, one level at a time
// (GET /api/v1/folders), each with its count of videos and of missing ones. A nested
// list of links (choose the folder) and buttons (show or hide its folders, with
// aria-expanded); the counts are read again when the library changes. At narrow widths
// the tree folds away behind a "Folders" button.

import { get } from "./api.js";
import { libraryUrl } from "./browse-state.js";
import { byId, element, setText, show } from "./dom.js";
import * as format from "./format.js";

function counts(folder) {
  const videos = format.count(folder.videos, "video");
  return folder.missing > 0 ? `${videos}, ${folder.missing} missing` : videos;
}

function isBelow(path, folder) {
  return folder === path || folder.startsWith(path === "/" ? "/" : `${path}/`);
}

export class FolderTree {
  constructor(app, library) {
    this.app = app;
    this.library = library;
    this.pane = byId("folder-pane");
    this.list = byId("folder-tree");
    this.none = byId("folder-tree-empty");
    this.toggle = byId("folders-toggle");
    /** path -> {item, link, button, children, folder, expanded, loaded} */
    this.nodes = new Map();
    this.chosen = "";
    this.loading = null;
    this.again = false;
    this.toggle.addEventListener("click", () => this.fold(this.toggle.getAttribute("aria-expanded") !== "true"));
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-path]");
      if (button !== null) this.expand(button.dataset.path, button.getAttribute("aria-expanded") !== "true");
      // On a narrow screen the tree folds away once a folder is chosen.
      if (event.target.closest("a[data-path]") !== null) this.fold(false);
    });
  }

  /** Open or fold the tree (narrow screens only show the button). */
  fold(open) {
    this.toggle.setAttribute("aria-expanded", String(open));
    this.pane.classList.toggle("open", open);
  }

  /** Mark ``folder`` as the one the library shows, and point every link at the current view. */
  choose(folder) {
    this.chosen = folder;
    for (const [path, node] of this.nodes) this.point(path, node);
    setText(this.toggle, folder ? `Folders: ${format.baseName(folder) || folder}` : "Folders");
  }

  point(path, node) {
    node.link.setAttribute("href", libraryUrl({ ...this.library.state, folder: path, page: 1 }));
    if (path === this.chosen) node.link.setAttribute("aria-current", "true");
    else node.link.removeAttribute("aria-current");
  }

  /** Read the tree's counts again (and its open folders); calls made meanwhile run once after. */
  refresh() {
    if (this.loading !== null) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again);
      } catch (error) {
        setText(this.none, `Folders could not be loaded: ${error.message}`);
        show(this.none, true);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async load() {
    const answer = await get("/api/v1/folders");
    this.fill(this.list, answer.folders);
    setText(this.none, "No folders yet.");
    show(this.none, answer.folders.length === 0);
    // The top folder is open from the start, and so is the way down to the chosen one.
    for (const folder of answer.folders) {
      const node = this.nodes.get(folder.path);
      if (node.expanded === null) node.expanded = true;
    }
    for (const [path, node] of [...this.nodes]) {
      if (node.expanded === null && this.chosen && isBelow(path, this.chosen) && path !== this.chosen) {
        node.expanded = true;
      }
    }
    await this.loadOpen();
  }

  /** Read the children of every open folder, top down. */
  async loadOpen() {
    const seen = new Set();
    let pending = [...this.nodes.values()].filter((node) => node.expanded && node.folder.folders > 0);
    while (pending.length > 0) {
      for (const node of pending) seen.add(node.folder.path);
      await Promise.all(pending.map((node) => this.loadChildren(node)));
      pending = [...this.nodes.values()].filter(
        (node) =>
          !seen.has(node.folder.path) &&
          node.folder.folders > 0 &&
          (node.expanded || (node.expanded === null && this.chosen && isBelow(node.folder.path, this.chosen) && node.folder.path !== this.chosen)),
      );
      for (const node of pending) node.expanded = true;
    }
  }

  async loadChildren(node) {
    const answer = await get("/api/v1/folders", { parent: node.folder.path });
    this.fill(node.children, answer.folders);
    node.loaded = true;
    this.showNode(node);
  }

  async expand(path, open) {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    node.expanded = open;
    this.showNode(node);
    if (open) {
      node.button.setAttribute("aria-busy", "true");
      try {
        await this.loadChildren(node);
      } finally {
        node.button.removeAttribute("aria-busy");
      }
    }
  }

  /** Make ``list`` hold exactly ``folders``, in order, reusing the items already there. */
  fill(list, folders) {
    const wanted = new Set(folders.map((folder) => folder.path));
    for (const child of [...list.children]) {
      if (!wanted.has(child.dataset.path)) {
        this.forget(child);
        child.remove();
      }
    }
    folders.forEach((folder, index) => {
      let node = this.nodes.get(folder.path);
      if (node === undefined) node = this.make(folder);
      node.folder = folder;
      setText(node.link.querySelector(".folder-name"), folder.name);
      setText(node.counts, counts(folder));
      node.item.dataset.missing = String(folder.missing);
      this.showNode(node);
      if (list.children[index] !== node.item) list.insertBefore(node.item, list.children[index] ?? null);
    });
  }

  forget(item) {
    for (const inner of item.querySelectorAll("[data-path]")) this.nodes.delete(inner.dataset.path);
    this.nodes.delete(item.dataset.path);
  }

  make(folder) {
    const item = element("li", null, "folder-node");
    item.dataset.path = folder.path;
    const row = element("div", null, "folder-row");
    const button = element("button", null, "folder-twisty");
    button.type = "button";
    button.dataset.path = folder.path;
    const link = element("a", null, "folder-link");
    link.dataset.route = "";
    link.dataset.path = folder.path;
    link.title = folder.path;
    link.append(element("span", folder.name, "folder-name"));
    const countText = element("span", "", "folder-counts");
    link.append(countText);
    row.append(button, link);
    const children = element("ul", null, "folder-children");
    item.append(row, children);
    const node = { item, link, button, children, counts: countText, folder, expanded: null, loaded: false };
    this.nodes.set(folder.path, node);
    this.point(folder.path, node);
    return node;
  }

  showNode(node) {
    const leaf = node.folder.folders === 0;
    node.button.hidden = leaf;
    node.item.classList.toggle("leaf", leaf);
    const open = Boolean(node.expanded) && !leaf;
    node.button.setAttribute("aria-expanded", String(open));
    node.button.setAttribute("aria-label", `${open ? "Hide" : "Show"} the folders in ${node.folder.name}`);
    setText(node.button, open ? "\u25be" : "\u25b8");
    show(node.children, open && node.loaded);
  }
}
