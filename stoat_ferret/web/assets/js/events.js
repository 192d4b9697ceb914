// The /ws event stream: one connection, re-opened after a drop, resuming after the
// last event id it saw so nothing in between is lost. When the server cannot give
// the missed events it says resync_required; listeners then reload state over HTTP.
//
// Dispatches, on the EventStream itself:
//   "event"  detail: the envelope {id, type, payload, ...} of every server event
//   "state"  detail: {state: "connecting" | "open" | "closed", resumed, attempt}
//   "resync" detail: {reason} when the page must reload what it shows
//
// The only timer is the back-off before reconnecting: no state is polled.

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 8000;

export class EventStream extends EventTarget {
  /**
   * @param {import("./protocol.js").Vocabulary} vocabulary
   * @param {string} path the stream's path on this server, "/ws"
   */
  constructor(vocabulary, path = "/ws") {
    super();
    this.vocabulary = vocabulary;
    this.path = path;
    /** Id of the newest numbered event received; resumes the next connection. */
    this.lastEventId = null;
    this.state = "closed";
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.stopped = false;
  }

  /** Open the connection (and keep it open until stop()). */
  start() {
    this.stopped = false;
    this.connect();
  }

  /** Close the connection for good. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }

  /** The URL of the next connection: same host, ws or wss, resuming if it can. */
  url() {
    const url = new URL(this.path, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.lastEventId !== null) url.searchParams.set("last_event_id", String(this.lastEventId));
    return url.toString();
  }

  connect() {
    const resumed = this.lastEventId !== null;
    this.setState("connecting", resumed);
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (socket === this.socket) this.setState("open", resumed);
    });
    socket.addEventListener("message", (message) => {
      if (socket === this.socket) this.receive(message.data);
    });
    socket.addEventListener("close", () => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.setState("closed", resumed);
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  receive(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (!event || typeof event.type !== "string") return;
    // A message got through: the connection works, so the next drop retries promptly.
    this.attempt = 0;
    if (Number.isSafeInteger(event.id)) this.lastEventId = event.id;
    if (event.type === this.vocabulary.event.RESYNC_REQUIRED) {
      this.dispatchEvent(new CustomEvent("resync", { detail: event.payload ?? {} }));
      return;
    }
    this.dispatchEvent(new CustomEvent("event", { detail: event }));
  }

  setState(state, resumed) {
    this.state = state;
    this.dispatchEvent(
      new CustomEvent("state", { detail: { state, resumed, attempt: this.attempt } }),
    );
  }
}
