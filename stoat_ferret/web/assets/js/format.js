// Pure formatting: numbers and times as the page shows them. No DOM, no network.

function pad(value, width) {
  return String(value).padStart(width, "0");
}

/**
 * The nominal integer frame rate of a fractional one (30000/1001 -> 30), or null.
 * Timecode counts frames at this rate, as non-drop-frame timecode does.
 */
export function nominalRate(numerator, denominator) {
  if (!(numerator > 0) || !(denominator > 0)) return null;
  const rate = Math.round(numerator / denominator);
  return rate >= 1 ? rate : null;
}

/**
 * Non-drop-frame timecode HH:MM:SS:FF for a frame count at the file's own rate.
 * Hours grow past two digits when they must; frames take as many digits as the
 * rate's highest frame number needs (at least two).
 */
export function timecode(frames, numerator, denominator) {
  const rate = nominalRate(numerator, denominator);
  if (rate === null || !Number.isInteger(frames) || frames < 0) return "--:--:--:--";
  const ff = frames % rate;
  const seconds = Math.floor(frames / rate);
  const ss = seconds % 60;
  const mm = Math.floor(seconds / 60) % 60;
  const hh = Math.floor(seconds / 3600);
  const frameDigits = Math.max(2, String(rate - 1).length);
  return `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}:${pad(ff, frameDigits)}`;
}

/** A frame rate for people: 25, 29.97, 23.976. */
export function frameRate(numerator, denominator) {
  if (!(numerator > 0) || !(denominator > 0)) return "?";
  return String(Number((numerator / denominator).toFixed(3)));
}

/** Picture size, e.g. 1920×1080. */
export function resolution(width, height) {
  return `${width}×${height}`;
}

const BYTE_UNITS = ["kB", "MB", "GB", "TB", "PB"];

/** A byte count in decimal SI units (1000-based), one decimal: 512 B, 35.5 kB, 1.2 GB. */
export function bytes(count) {
  if (!Number.isFinite(count) || count < 0) return "?";
  if (count < 1000) return `${count} B`;
  let value = count;
  let unit = -1;
  while (value >= 999.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Whole percent of a 0.0–1.0 fraction, rounded down so that 100 means done. */
export function percent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return null;
  return Math.min(100, Math.max(0, Math.floor(fraction * 100 + 1e-9)));
}

/** A length of time in seconds for people: 0.4 s, 12 s, 3 min 05 s, 1 h 02 min. */
export function span(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60, 2)} s`;
  return `${Math.floor(whole / 3600)} h ${pad(Math.floor(whole / 60) % 60, 2)} min`;
}

/** Files per second for people: 0.52/s, 3.4/s, 120/s. */
export function rate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "?";
  const digits = perSecond < 1 ? 2 : perSecond < 10 ? 1 : 0;
  return `${perSecond.toFixed(digits)} files/s`;
}

/** An ISO 8601 timestamp in the reader's own time zone, or "" for none. */
export function localTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return when.toLocaleString();
}

/** Seconds between two ISO 8601 timestamps, or null if either is missing. */
export function secondsBetween(startIso, endIso) {
  if (!startIso || !endIso) return null;
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/** "1 file", "3 files". */
export function count(n, singular, plural = `${singular}s`) {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The folder part of a path (everything before the last separator), or "" for none. */
export function folderOf(path) {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return "";
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The last part of a path: a folder's own name. */
export function baseName(path) {
  const trimmed = path.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return cut < 0 ? trimmed : trimmed.slice(cut + 1) || trimmed;
}

/**
 * Page numbers to offer around ``current`` of ``last``: the first, the last, and the
 * two on each side of the current one, with null where a run is left out.
 */
export function pageNumbers(current, last) {
  const wanted = new Set([1, last]);
  for (let page = current - 2; page <= current + 2; page += 1) {
    if (page >= 1 && page <= last) wanted.add(page);
  }
  const pages = [...wanted].sort((a, b) => a - b);
  const out = [];
  for (const page of pages) {
    const previous = out.length > 0 ? out[out.length - 1] : null;
    if (previous !== null && page - previous === 2) out.push(previous + 1);
    else if (previous !== null && page - previous > 2) out.push(null);
    out.push(page);
  }
  return out;
}
