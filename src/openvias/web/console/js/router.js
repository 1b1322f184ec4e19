// Hash routes: #/path/parts?key=value. Filters live in the query so they survive a reload.
import { useEffect, useState } from './lib.js';

export const HOME = '/overview';

function parse() {
  const hash = window.location.hash.replace(/^#/, '');
  const [encodedPath, query = ''] = hash.split(/\?(.*)/s);
  let rawPath = encodedPath;
  try {
    rawPath = decodeURIComponent(encodedPath);
  } catch {
    // a malformed escape: keep the path as typed
  }
  const path = rawPath && rawPath !== '/' ? (rawPath.startsWith('/') ? rawPath : `/${rawPath}`) : '';
  return {
    path,
    parts: path.split('/').filter(Boolean),
    params: new URLSearchParams(query),
  };
}

function queryString(params) {
  if (!params) return '';
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  const kept = new URLSearchParams();
  for (const [key, value] of entries) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => kept.append(key, String(v)));
    else kept.append(key, String(value));
  }
  const text = kept.toString();
  return text ? `?${text}` : '';
}

// The href of a route: link('/events', { service: 'x' }) -> '#/events?service=x'.
export function link(path, params) {
  return `#${path}${queryString(params)}`;
}

// The current route { path, parts, params }; the component re-renders when it changes.
export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const changed = () => setRoute(parse());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function currentRoute() {
  return parse();
}

// Goes to a route (a new history entry).
export function navigate(path, params) {
  window.location.hash = link(path, params).slice(1);
}

// Replaces query keys of the current route in place (no new history entry);
// null, undefined or '' removes a key.
export function setParams(changes) {
  const { path, params } = parse();
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === '') params.delete(key);
    else if (Array.isArray(value)) {
      params.delete(key);
      value.forEach((v) => params.append(key, String(v)));
    } else params.set(key, String(value));
  }
  window.history.replaceState(window.history.state, '', link(path || HOME, params));
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
