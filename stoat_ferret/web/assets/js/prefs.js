// Choices the page remembers across visits (localStorage). Storage can be off
// (private mode, a policy): then the page works with its defaults.

const PREFIX = "stoat-ferret.";

/** The stored value of ``key`` if it is one of ``allowed``, else ``fallback``. */
export function choice(key, allowed, fallback) {
  const value = read(key);
  return allowed.includes(value) ? value : fallback;
}

/** The stored text of ``key``, or null. */
export function read(key) {
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

/** Store ``value`` under ``key`` (null removes it). */
export function write(key, value) {
  try {
    if (value === null || value === undefined) window.localStorage.removeItem(PREFIX + key);
    else window.localStorage.setItem(PREFIX + key, String(value));
  } catch {
    // Not remembered; the choice still applies to this page.
  }
}
