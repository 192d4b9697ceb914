// What the library view shows, as it lives in the address: the search, the folder, the
// sort and its direction, the filters, the page and its size. Pure: reading an address
// into a state, writing a state back as an address, and the API parameters of a state.
// Also how a video compares and matches under a state, for the live updates.

export const DEFAULT_PER_PAGE = 24;
export const MAX_PER_PAGE = 500;

/**
 * The filters the page offers, in the order they appear in an address: each with the
 * API parameter it sets and how its text is checked. ``folder`` is kept apart.
 */
export const FILTERS = Object.freeze([
  { key: "video_codec", kind: "text" },
  { key: "audio_codec", kind: "text" },
  { key: "min_width", kind: "int" },
  { key: "max_width", kind: "int" },
  { key: "min_duration", kind: "number" },
  { key: "max_duration", kind: "number" },
  { key: "frame_rate", kind: "rate" },
  { key: "hdr", kind: "hdr" },
  { key: "vfr", kind: "bool" },
  { key: "interlaced", kind: "bool" },
  { key: "missing", kind: "bool" },
]);

/** The two spellings of a boolean filter in an address and in the API. */
export const YES = "true";
export const NO = "false";

function positiveInt(text, fallback, highest = Number.MAX_SAFE_INTEGER) {
  const value = Number.parseInt(text ?? "", 10);
  if (!Number.isSafeInteger(value) || value < 1) return fallback;
  return Math.min(value, highest);
}

/** A filter's text if it is a value the filter takes, else null (so it is left out). */
export function cleanFilter(filter, text, vocabulary) {
  const value = (text ?? "").trim();
  if (!value || value.length > 200) return null;
  switch (filter.kind) {
    case "int":
      return /^\d{1,9}$/.test(value) ? String(Number(value)) : null;
    case "number":
      return /^\d{1,9}(\.\d{1,6})?$/.test(value) ? value : null;
    case "rate":
      return /^\d{1,9}(\/\d{1,9})?$/.test(value) ? value : null;
    case "bool":
      return value === YES || value === NO ? value : null;
    case "hdr":
      return Object.values(vocabulary.hdr).includes(value) ? value : null;
    default:
      return value;
  }
}

/** The state an address's query names; anything it does not understand is left out. */
export function readState(params, vocabulary) {
  const sorts = Object.values(vocabulary.sort);
  const orders = Object.values(vocabulary.order);
  const sortText = params.get("sort") ?? "";
  const sort = sorts.includes(sortText) ? sortText : "";
  const orderText = params.get("order") ?? "";
  const order = sort && orders.includes(orderText) && orderText !== vocabulary.sortDefaults[sort] ? orderText : "";
  const filters = {};
  for (const filter of FILTERS) {
    const value = cleanFilter(filter, params.get(filter.key), vocabulary);
    if (value !== null) filters[filter.key] = value;
  }
  return {
    q: (params.get("q") ?? "").trim(),
    folder: (params.get("folder") ?? "").trim(),
    sort,
    order,
    filters,
    page: positiveInt(params.get("page"), 1),
    per: positiveInt(params.get("per"), DEFAULT_PER_PAGE, MAX_PER_PAGE),
  };
}

/** The library URL of a state (defaults left out); every part is optional. */
export function libraryUrl({ q = "", folder = "", sort = "", order = "", filters = {}, page = 1, per = DEFAULT_PER_PAGE } = {}) {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (folder) params.set("folder", folder);
  if (sort) params.set("sort", sort);
  if (sort && order) params.set("order", order);
  for (const filter of FILTERS) {
    const value = filters[filter.key];
    if (value !== undefined && value !== null && value !== "") params.set(filter.key, value);
  }
  if (page > 1) params.set("page", String(page));
  if (per !== DEFAULT_PER_PAGE) params.set("per", String(per));
  const query = params.toString();
  return query ? `/library?${query}` : "/library";
}

/** How many filters (the folder not counted) a state sets. */
export function filterCount(state) {
  return Object.keys(state.filters).length;
}

/** The API's filter parameters of a state (the folder included). */
export function filterParams(state) {
  const params = { ...state.filters };
  if (state.folder) params.folder = state.folder;
  return params;
}

/** The sort and direction a state's list is in: the server's order when it names none. */
export function effectiveSort(state, vocabulary) {
  const sort = state.sort || vocabulary.sort.CREATED;
  const order = state.order || vocabulary.sortDefaults[sort];
  return { sort, order };
}

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function rate(video) {
  return video.frame_rate_denominator ? video.frame_rate_numerator / video.frame_rate_denominator : 0;
}

function byCodeUnits(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * A comparison of two videos in the order the list gives them under ``state``, as the
 * API orders them: by the sort's value, ties by path, in the sort's default direction;
 * the other direction is the exact reverse.
 */
export function comparator(state, vocabulary) {
  const { sort, order } = effectiveSort(state, vocabulary);
  const names = vocabulary.sort;
  const descending = vocabulary.sortDefaults[sort] === vocabulary.order.DESC;
  const keys = {
    [names.PATH]: null,
    [names.FILENAME]: (a, b) => natural.compare(a.filename, b.filename),
    [names.DURATION]: (a, b) => a.duration_seconds - b.duration_seconds,
    [names.SIZE]: (a, b) => a.file_size - b.file_size,
    [names.WIDTH]: (a, b) => a.width - b.width,
    [names.FRAME_RATE]: (a, b) => rate(a) - rate(b),
    [names.CREATED]: (a, b) => byCodeUnits(a.created_at, b.created_at),
    [names.MODIFIED]: (a, b) => byCodeUnits(a.modified_at ?? "", b.modified_at ?? ""),
  };
  const key = keys[sort] ?? null;
  const reverse = order !== vocabulary.sortDefaults[sort];
  return (a, b) => {
    let result = key === null ? 0 : key(a, b);
    if (descending) result = -result;
    // Ties go by path, A to Z, in the sort's default direction.
    if (result === 0) result = byCodeUnits(a.path, b.path);
    return reverse ? -result : result;
  };
}

function inFolder(path, folder) {
  const base = folder.length > 1 ? folder.replace(/\/+$/, "") : folder;
  return path.startsWith(base.endsWith("/") ? base : `${base}/`);
}

function sameRate(video, text) {
  const [numerator, denominator = "1"] = text.split("/");
  return video.frame_rate_numerator * Number(denominator) === Number(numerator) * video.frame_rate_denominator;
}

/**
 * Whether ``video`` is kept by the state's folder and filters: true, false, or null
 * when the page cannot tell from the video object (HDR, VFR, interlacing).
 */
export function matches(video, state) {
  const f = state.filters;
  if (state.folder && !inFolder(video.path, state.folder)) return false;
  if (f.video_codec && video.video_codec !== f.video_codec) return false;
  if (f.audio_codec && video.audio_codec !== f.audio_codec) return false;
  if (f.min_width && video.width < Number(f.min_width)) return false;
  if (f.max_width && video.width > Number(f.max_width)) return false;
  if (f.min_duration && video.duration_seconds < Number(f.min_duration)) return false;
  if (f.max_duration && video.duration_seconds > Number(f.max_duration)) return false;
  if (f.frame_rate && !sameRate(video, f.frame_rate)) return false;
  if (f.missing && video.missing !== (f.missing === YES)) return false;
  if (f.hdr || f.vfr || f.interlaced) return null;
  return true;
}
