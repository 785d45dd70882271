// Calls to the service. Uploads use XMLHttpRequest because fetch() cannot report
// upload progress, which matters for files of tens of megabytes.

/** Error carrying the HTTP status and the server's `detail` text. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `request failed with HTTP ${status}`);
    this.status = status;
  }
}

// A service started with SRDI_API_KEY wants the key on every /v1 call: ask once,
// keep it for this browser session only.
const KEY_STORAGE = "srdi.apiKey";

function keyHeaders() {
  const key = window.sessionStorage.getItem(KEY_STORAGE);
  return key ? { "X-API-Key": key } : {};
}

function askForKey() {
  const key = window.prompt("This service needs its API key (SRDI_API_KEY):");
  if (!key) return false;
  window.sessionStorage.setItem(KEY_STORAGE, key.trim());
  return true;
}

/** Run `attempt()` again once with a key when the service answers 401. */
async function withKey(attempt) {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && askForKey()) return attempt();
    throw error;
  }
}

function detailOf(body, status) {
  if (body && typeof body === "object" && "detail" in body) {
    const d = body.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) {
      return d.map((e) => `${(e.loc || []).join(".")}: ${e.msg || e.message || JSON.stringify(e)}`).join("; ");
    }
    return JSON.stringify(d);
  }
  return `request failed with HTTP ${status}`;
}

export function getJSON(url) {
  return withKey(async () => {
    const response = await fetch(url, { headers: { Accept: "application/json", ...keyHeaders() } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, detailOf(body, response.status));
    return body;
  });
}

/**
 * POST a multipart form; resolves with the parsed JSON body.
 * onUpload(loaded, total) fires while the request body is sent; onSent() once it is.
 */
export function postForm(url, form, options = {}) {
  return withKey(() => sendForm(url, form, options));
}

function sendForm(url, form, { onUpload, onSent, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(keyHeaders())) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    if (onUpload) {
      xhr.upload.addEventListener("progress", (e) => onUpload(e.loaded, e.lengthComputable ? e.total : NaN));
    }
    xhr.upload.addEventListener("load", () => onSent && onSent());
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(new ApiError(xhr.status, detailOf(xhr.response, xhr.status)));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "the server could not be reached")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "cancelled")));
    if (signal) signal.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

/**
 * POST a JSON payload as a multipart file part named `name` and return the response
 * as a Blob (for file downloads). A long list is an upload, so it is sent like one.
 */
export function postJsonFileForBlob(url, name, payload) {
  const json = JSON.stringify(payload);
  return withKey(async () => {
    const form = new FormData();
    form.append(name, new Blob([json], { type: "application/json" }), `${name}.json`);
    const response = await fetch(url, { method: "POST", body: form, headers: keyHeaders() });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new ApiError(response.status, detailOf(body, response.status));
    }
    return response.blob();
  });
}

/** Fetch a file served by the app (the bundled sample) as a File object. */
export function fetchFile(url, filename) {
  return withKey(async () => {
    const response = await fetch(url, { headers: keyHeaders() });
    if (!response.ok) throw new ApiError(response.status, `could not load ${filename}`);
    const blob = await response.blob();
    return new File([blob], filename, { type: blob.type || "text/csv" });
  });
}
