// The pages' one door to the server: /api/v1 with the signed-in user's bearer token (decision 0010).
// Tokens live in sessionStorage (this tab only); a 401 refreshes once (the refresh token rotates).

const SESSION_KEY = "zhulian.session";

export class ApiError extends Error {
  constructor(status, problem, headers) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = headers ? Number(headers.get("Retry-After")) || null : null;
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

export function saveTokens(pair) {
  const previous = session() || {};
  sessionStorage.setItem(
    SESSION_KEY,
    JSON.stringify({
      ...previous,
      access: pair.access_token,
      refresh: pair.refresh_token,
      mustChange: pair.password_change_required,
    }),
  );
}

export function saveMe(me) {
  const current = session();
  if (current) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...current, me }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : null;
}

// One refresh at a time: two refreshes with the same token would look like a replay and end the session.
let refreshing = null;

async function refresh() {
  const current = session();
  if (!current || !current.refresh) return false;
  if (!refreshing) {
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh }),
    })
      .then(async (response) => {
        if (!response.ok) return false;
        saveTokens(await response.json());
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** Call the API; returns the decoded body, throws ApiError with the problem details otherwise. */
export async function api(path, { method = "GET", body, auth = true, retried = false } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const current = session();
  if (auth && current && current.access) headers.authorization = `Bearer ${current.access}`;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && auth && !retried) {
    if (await refresh()) return api(path, { method, body, auth, retried: true });
    clearSession();
    toLogin();
    throw new ApiError(401, { detail: "需要登录 / sign in first" });
  }
  const data = await parse(response);
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  return data;
}

export async function logout() {
  try {
    await api("/auth/logout", { method: "POST", retried: true });
  } catch {
    // The session may already be over; the tab forgets it either way.
  }
  clearSession();
  location.assign("/login");
}

/** Download a file from the API (a link cannot carry the bearer token): the body as a Blob and the
 * file name from Content-Disposition. Refreshes once on 401 like api(); throws ApiError otherwise. */
export async function apiDownload(path, { retried = false } = {}) {
  const current = session();
  const headers = current && current.access ? { authorization: `Bearer ${current.access}` } : {};
  const response = await fetch(`/api/v1${path}`, { headers });
  if (response.status === 401 && !retried) {
    if (await refresh()) return apiDownload(path, { retried: true });
    clearSession();
    toLogin();
    throw new ApiError(401, { detail: "需要登录 / sign in first" });
  }
  if (!response.ok) throw new ApiError(response.status, await parse(response), response.headers);
  const disposition = response.headers.get("content-disposition") || "";
  const named = /filename="?([^";]+)"?/.exec(disposition);
  return { blob: await response.blob(), filename: named ? named[1] : "download" };
}
