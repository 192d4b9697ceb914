// The duplicates view (/duplicates?page=N): groups of copies of one file's content from
// GET /api/v1/videos/duplicates, largest first, a page of groups at a time; each copy
// links to its detail view.

import { get, segment } from "./api.js";
import { byId, element, pageNumberItems, replaceChildren, setText, show } from "./dom.js";
import * as format from "./format.js";

/** Groups a page shows. */
export const GROUPS_PER_PAGE = 20;

function pageOf(url) {
  const value = Number.parseInt(url.searchParams.get("page") ?? "", 10);
  return Number.isSafeInteger(value) && value > 0 ? value : 1;
}

function pageUrl(page) {
  return page > 1 ? `/duplicates?page=${page}` : "/duplicates";
}

export class DuplicatesView {
  constructor(app) {
    this.app = app;
    this.root = byId("view-dupes");
    this.summary = byId("dupes-summary");
    this.error = byId("dupes-error");
    this.empty = byId("dupes-empty");
    this.groups = byId("dupes-groups");
    this.pager = byId("dupes-pager");
    this.controller = null;
  }

  route(url) {
    this.load(pageOf(url));
  }

  async load(page) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.root.setAttribute("aria-busy", "true");
    try {
      const offset = (page - 1) * GROUPS_PER_PAGE;
      const answer = await get(
        "/api/v1/videos/duplicates",
        { limit: GROUPS_PER_PAGE, offset },
        { signal: controller.signal },
      );
      if (controller !== this.controller) return;
      const lastPage = Math.max(1, Math.ceil(answer.total / GROUPS_PER_PAGE));
      if (page > lastPage) {
        this.app.router.navigate(pageUrl(lastPage), { replace: true });
        return;
      }
      show(this.error, false);
      this.render(answer, page, lastPage);
    } catch (error) {
      if (error.name === "AbortError" || controller !== this.controller) return;
      setText(this.error, `Duplicates could not be loaded: ${error.message}`);
      show(this.error, true);
    } finally {
      if (controller === this.controller) this.root.setAttribute("aria-busy", "false");
    }
  }

  render(answer, page, lastPage) {
    const { groups, total } = answer;
    const first = (page - 1) * GROUPS_PER_PAGE + 1;
    setText(
      this.summary,
      total === 0
        ? ""
        : groups.length === 0
          ? `No groups on this page; ${total} in all`
          : lastPage === 1
          ? `${format.count(total, "group", "groups")} of copies`
          : `Groups ${first}\u2013${first + groups.length - 1} of ${total}`,
    );
    show(this.empty, total === 0);
    replaceChildren(
      this.groups,
      groups.map((group) => {
        const item = element("li", null, "dupe-group");
        item.dataset.fingerprint = group.fingerprint;
        const head = element(
          "h2",
          `${group.videos.length} copies of ${group.videos[0]?.filename ?? group.fingerprint} · ${format.bytes(group.file_size)} each`,
        );
        const list = element("ul", null, "plain-list");
        for (const video of group.videos) {
          const line = element("li");
          const link = element("a", video.path, "path");
          link.setAttribute("href", `/videos/${segment(video.id)}`);
          link.dataset.route = "";
          line.append(link);
          list.append(line);
        }
        item.append(head, list);
        return item;
      }),
    );
    this.renderPager(page, lastPage);
  }

  renderPager(page, lastPage) {
    show(this.pager, lastPage > 1);
    if (lastPage <= 1) return;
    const prev = byId("dupes-prev");
    const next = byId("dupes-next");
    for (const [link, target] of [
      [prev, page > 1 ? page - 1 : null],
      [next, page < lastPage ? page + 1 : null],
    ]) {
      if (target === null) {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      } else {
        link.setAttribute("href", pageUrl(target));
        link.removeAttribute("aria-disabled");
      }
    }
    replaceChildren(
      byId("dupes-numbers"),
      pageNumberItems(format.pageNumbers(page, lastPage), page, pageUrl, (number) => `Duplicates page ${number}`),
    );
  }
}
