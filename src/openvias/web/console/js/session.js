// The signed-in session: the token in memory and in sessionStorage (this tab only, gone when
// it closes; never localStorage, never a cookie). Sign-out revokes the token on the server.
import { useEffect, useState } from './lib.js';
import { api } from './api.js';

const STORAGE_KEY = 'openvias.console.session';
const PROJECT_ID = /^[0-9a-f]{32}$/;
const listeners = new Set();
let current = restore();
let endReason = null;

function restore() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
    if (saved?.token && saved.project?.id && Date.parse(saved.expiresAt) > Date.now()) return saved;
  } catch {
    // unreadable: start signed out
  }
  window.sessionStorage.removeItem(STORAGE_KEY);
  return null;
}

function publish(session, reason) {
  current = session;
  endReason = reason;
  if (session) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else window.sessionStorage.removeItem(STORAGE_KEY);
  listeners.forEach((listener) => listener(session));
}

// { token, expiresAt, user: {id, name}, domain: {id, name}, project: {id, name} } or null.
export function getSession() {
  return current;
}

// Why the last session ended: 'expired' (the API answered 401), 'signed-out' or null.
export function sessionEndReason() {
  return endReason;
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// The current session; the component re-renders on sign-in and sign-out.
export function useSession() {
  const [session, setSession] = useState(current);
  useEffect(() => onSessionChange(setSession), []);
  return session;
}

// Forgets the session without calling the server (the token is already invalid).
export function endSession(reason = 'expired') {
  if (current) publish(null, reason);
}

// project: a project name, or a project id (32 hex digits), as /v3/auth/tokens scopes.
export async function signIn({ user, password, domain, project }) {
  const scope = PROJECT_ID.test(project) ? { id: project } : { name: project };
  const response = await api('/v3/auth/tokens', {
    method: 'POST',
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, password, domain: { name: domain } } },
        },
        scope: { project: scope },
      },
    },
    raw: true,
  });
  const { token } = await response.json();
  const session = {
    token: response.headers.get('X-Subject-Token'),
    expiresAt: token.expires_at,
    user: { id: token.user.id, name: token.user.name },
    domain: { id: token.user.domain.id, name: token.user.domain.name },
    project: { id: token.project.id, name: token.project.name },
  };
  publish(session, null);
  return session;
}

// Revokes the token (DELETE /v3/auth/tokens) and forgets it, even when the server cannot be
// reached: the browser keeps nothing either way.
export async function signOut() {
  const session = current;
  if (!session) return;
  try {
    await api('/v3/auth/tokens', { method: 'DELETE', headers: { 'X-Subject-Token': session.token } });
  } catch {
    // already revoked or expired (401/404), or the server is away: nothing left to revoke here
  } finally {
    publish(null, 'signed-out');
  }
}
