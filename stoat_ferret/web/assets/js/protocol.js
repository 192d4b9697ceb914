// The words the page shares with the server, taken from GET /api/v1/info.
//
// The page never spells a job status, job kind, event type or error code itself: the earlier
// system's dialog waited forever for one spelling of the finished status while its
// server sent another.
// Event types and error codes are looked up by their NAME in the server's
// {NAME: value} tables.
// Job statuses are used only through what the server says about them: the
// terminal ones are final, the others are still live (and can be cancelled), and
// a terminal job ended well when its `error` is null (the API's rule). Which word
// a status is shown as is the server's word, as sent.

/** The event names this page listens for; the server must know every one. */
const EVENT_NAMES = [
  "HEARTBEAT",
  "JOB_STATUS",
  "JOB_PROGRESS",
  "SCAN_STARTED",
  "SCAN_COMPLETED",
  "THUMBNAIL_READY",
  "RESYNC_REQUIRED",
  "VIDEO_ADDED",
  "VIDEO_UPDATED",
  "VIDEO_MISSING",
  "VIDEO_MOVED",
  "VIDEO_REMOVED",
  "WATCH_STATUS",
];

/** The server's vocabulary does not have what this page needs. */
export class ProtocolMismatch extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolMismatch";
  }
}

/** The vocabulary of one server, built from its /api/v1/info answer. */
export class Vocabulary {
  constructor(protocol) {
    if (!protocol || typeof protocol !== "object") {
      throw new ProtocolMismatch("the server's /api/v1/info has no protocol section");
    }
    const statuses = protocol.job_statuses;
    const terminal = protocol.terminal_statuses;
    const eventTypes = protocol.event_types;
    if (!Array.isArray(statuses) || !Array.isArray(terminal) || !eventTypes) {
      throw new ProtocolMismatch("the server's protocol lacks job statuses or event types");
    }
    const unknownTerminal = terminal.filter((status) => !statuses.includes(status));
    if (unknownTerminal.length > 0) {
      throw new ProtocolMismatch(`terminal statuses not among job statuses: ${unknownTerminal}`);
    }
    const missing = EVENT_NAMES.filter((name) => typeof eventTypes[name] !== "string");
    if (missing.length > 0) {
      throw new ProtocolMismatch(`the server has no event types named ${missing.join(", ")}`);
    }
    const errorCodes = protocol.error_codes;
    if (!errorCodes || typeof errorCodes !== "object") {
      throw new ProtocolMismatch("the server's protocol lacks error codes");
    }
    /** Every job status, in the server's order. */
    this.statuses = Object.freeze([...statuses]);
    this.terminalStatuses = new Set(terminal);
    /** Statuses of jobs that are still pending or running: the ones a cancel applies to. */
    this.liveStatuses = new Set(statuses.filter((status) => !this.terminalStatuses.has(status)));
    /** Job kinds the server runs, and their wire values by name, e.g. kind.THUMBNAILS. */
    this.kinds = Object.freeze([...(protocol.job_kinds ?? [])]);
    this.kind = Object.freeze({ ...(protocol.job_kind_names ?? {}) });
    /** Event type wire values by name, e.g. event.JOB_PROGRESS. */
    this.event = Object.freeze(Object.fromEntries(EVENT_NAMES.map((n) => [n, eventTypes[n]])));
    /**
     * Error code wire values by name, e.g. error.NOT_FOUND. An answer whose code the
     * page does not tell apart is shown as a plain error with the server's message.
     */
    this.error = Object.freeze({ ...errorCodes });
    const sorts = protocol.video_sorts;
    const sortDefaults = protocol.video_sort_defaults;
    if (!sorts || !sortDefaults || !protocol.sort_orders || !protocol.hdr_filters || !protocol.export_formats) {
      throw new ProtocolMismatch("the server's protocol lacks the library's sorts, filters or exports");
    }
    /** The list's sorts by name (PATH, FILENAME, …), and each sort's default order. */
    this.sort = Object.freeze({ ...sorts });
    this.sortDefaults = Object.freeze({ ...sortDefaults });
    /** Sort directions by name (ASC, DESC); values of hdr= and export formats by name. */
    this.order = Object.freeze({ ...protocol.sort_orders });
    this.hdr = Object.freeze({ ...protocol.hdr_filters });
    this.exportFormat = Object.freeze({ ...protocol.export_formats });
    /** Watched folders' states, shown as the server sends them, and what a watch_status reports. */
    this.watchStates = Object.freeze([...(protocol.watch_states ?? [])]);
    this.watchState = Object.freeze({ ...(protocol.watch_state_names ?? {}) });
    this.watchChange = Object.freeze({ ...(protocol.watch_changes ?? {}) });
  }

  /** Whether a job in ``status`` has reached its final state. */
  isTerminal(status) {
    return this.terminalStatuses.has(status);
  }

  /** Whether a job in ``status`` is pending or running (and so can be cancelled). */
  isLive(status) {
    return this.liveStatuses.has(status);
  }

  /** "live", "ok" (ended without an error) or "ended" (ended any other way). */
  outcome(job) {
    if (!this.isTerminal(job.status)) return "live";
    return job.error === null || job.error === undefined ? "ok" : "ended";
  }
}
