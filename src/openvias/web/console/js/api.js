// The public API, called with the session's token. '~/' is /v2/{project_id}/ of the session.
import { endSession, getSession } from './session.js';
import { t } from './i18n.js';

// A VIAS error answer: status, code (VIAS error_code), message (error_msg), body.
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function resolve(path) {
  if (!path.startsWith('~/')) return path;
  const session = getSession();
  if (!session) throw new ApiError(401, '', t('session.required'));
  return `/v2/${encodeURIComponent(session.project.id)}/${path.slice(2)}`;
}

function withQuery(url, query) {
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, String(v)));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `${url}${url.includes('?') ? '&' : '?'}${text}` : url;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page, an empty body): the status text says enough
  }
  const message = body?.error_msg || body?.error?.message || response.statusText || t('error.http', { status: response.status });
  return new ApiError(response.status, body?.error_code ?? '', message, body);
}

// api('~/source/sources', { query: { offset: 0, limit: 20 } }) -> parsed JSON (null for an
// empty answer), or the Response itself with raw: true. Throws ApiError for an error
// answer; a 401 ends the session, which shows the sign-in screen.
export async function api(path, { method = 'GET', query, body, raw = false, signal, headers = {} } = {}) {
  const session = getSession();
  const sent = { Accept: 'application/json', ...headers };
  if (session && !('X-Auth-Token' in sent)) sent['X-Auth-Token'] = session.token;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(withQuery(resolve(path), query), {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, '', t('error.network'));
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && session && sent['X-Auth-Token'] === session.token) {
      endSession('expired');
    }
    throw error;
  }
  if (raw) return response;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
