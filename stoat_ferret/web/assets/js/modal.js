// Modal dialogs: focus kept inside while open and given back on close, and a
// confirmation that resolves to the person's answer.

import { byId, element, replaceChildren, setText, tabbable } from "./dom.js";

/** Make Tab and Shift+Tab cycle through ``dialog``'s own controls. */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const controls = tabbable(dialog);
    if (controls.length === 0) {
      event.preventDefault();
      return;
    }
    const first = controls[0];
    const last = controls[controls.length - 1];
    const active = document.activeElement;
    const inside = dialog.contains(active) && controls.includes(active);
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });
}

/**
 * Open ``dialog`` as a modal; on close, focus goes back to what had it (or to
 * ``fallback``). ``first`` is focused on opening.
 */
export function openModal(dialog, first, fallback = null) {
  const before = document.activeElement;
  dialog.addEventListener(
    "close",
    () => {
      const target = before && before.isConnected && before.getClientRects().length > 0 ? before : fallback;
      target?.focus();
    },
    { once: true },
  );
  dialog.showModal();
  first.focus();
}

let confirmReady = false;

/**
 * Ask before doing something that cannot be undone. Resolves to true for the
 * action, false for Cancel or Esc. Cancel has the focus to begin with.
 */
export function confirmAction({ title, text, items = [], action }) {
  const dialog = byId("confirm-dialog");
  const ok = byId("confirm-ok");
  const cancel = byId("confirm-cancel");
  if (!confirmReady) {
    confirmReady = true;
    trapFocus(dialog);
    ok.addEventListener("click", () => dialog.close("ok"));
    cancel.addEventListener("click", () => dialog.close("cancel"));
  }
  setText(byId("confirm-title"), title);
  setText(byId("confirm-text"), text);
  setText(ok, action);
  const shown = items.slice(0, 10);
  const list = byId("confirm-list");
  const rows = shown.map((item) => element("li", item, "path"));
  if (items.length > shown.length) rows.push(element("li", `…and ${items.length - shown.length} more`));
  replaceChildren(list, rows);
  list.hidden = items.length === 0;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    openModal(dialog, cancel);
  });
}
