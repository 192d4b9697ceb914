// The HTTP API: JSON in, JSON out, errors as ApiError with the server's code and message.

/** An error answer of the API ({"detail": {"code", "message", ...}}) or a network failure. */
export class ApiError extends Error {
  constructor(httpStatus, code, message, detail = {}) {
    super(message);
    this.name = "ApiError";
    this.httpStatus = httpStatus;
    this.code = code;
    this.detail = detail;
  }
}

/** The code the page gives a request that never got an answer. */
export const NETWORK_ERROR = "NETWORK_ERROR";

/**
 * Make a request; resolves to {status, data}. Rejects with ApiError for an error
 * answer or no answer, and with the AbortError itself when ``signal`` aborts it.
 */
export async function request(path, { method = "GET", body, signal } = {}) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, NETWORK_ERROR, "The server cannot be reached.");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === "object" && data.detail ? data.detail : {};
    throw new ApiError(
      response.status,
      detail.code ?? `HTTP_${response.status}`,
      detail.message ?? `The server answered ${response.status} ${response.statusText}.`,
      detail,
    );
  }
  return { status: response.status, data };
}

/** GET ``path`` with ``params`` (null and undefined values left out); resolves to the body. */
export async function get(path, params = {}, { signal } = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) query.set(key, String(value));
  }
  const text = query.toString();
  return (await request(text ? `${path}?${text}` : path, { signal })).data;
}

/** POST a JSON body; resolves to {status, data}. */
export function post(path, body) {
  return request(path, { method: "POST", body });
}

/** Path segment for an id that came from the server. */
export function segment(id) {
  return encodeURIComponent(id);
}

/** DELETE ``path``; resolves to {status, data}. */
export function remove(path) {
  return request(path, { method: "DELETE" });
}
