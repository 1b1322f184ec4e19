// Shared components and hooks of every page. Plain Preact components, no framework.
import { html, render, useCallback, useEffect, useRef, useState } from './lib.js';
import { formatNumber, language, t } from './i18n.js';

// A page: its heading (focusable, so route changes can move focus there) and an action bar.
export function Page({ title, actions, children }) {
  return html`
    <section class="page">
      <header class="page-header">
        <h1 tabindex="-1" class="page-title">${title}</h1>
        ${actions ? html`<div class="page-actions">${actions}</div>` : null}
      </header>
      ${children}
    </section>
  `;
}

// A real <table>; on phones CSS lays each row out as a card labelled by data-label.
// columns: [{ key, label, render?(row), className? }]; selectable rows get a checkbox and
// selected is a Set of row keys, onSelect(newSet) is called on every change.
export function DataTable({ columns, rows, rowKey, selectable = false, selected, onSelect, empty, caption }) {
  const keyOf = typeof rowKey === 'function' ? rowKey : (row) => row[rowKey];
  const chosen = selected ?? new Set();
  const allChosen = rows.length > 0 && rows.every((row) => chosen.has(keyOf(row)));
  const toggle = (key) => {
    const next = new Set(chosen);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    onSelect?.(next);
  };
  const toggleAll = () => {
    const next = new Set(chosen);
    rows.forEach((row) => (allChosen ? next.delete(keyOf(row)) : next.add(keyOf(row))));
    onSelect?.(next);
  };
  if (!rows.length) return html`<p class="empty">${empty ?? t('table.empty')}</p>`;
  return html`
    <div class="table-wrap">
      <table class="data-table">
        ${caption ? html`<caption>${caption}</caption>` : null}
        <thead>
          <tr>
            ${selectable
              ? html`<th class="select-cell" scope="col">
                  <input type="checkbox" aria-label=${t('table.selectAll')} checked=${allChosen} onChange=${toggleAll} />
                </th>`
              : null}
            ${columns.map((column) => html`<th scope="col" class=${column.className}>${column.label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map((row) => {
            const key = keyOf(row);
            return html`
              <tr key=${key} class=${chosen.has(key) ? 'selected' : ''}>
                ${selectable
                  ? html`<td class="select-cell">
                      <input type="checkbox" aria-label=${t('table.selectRow', { id: key })} checked=${chosen.has(key)} onChange=${() => toggle(key)} />
                    </td>`
                  : null}
                ${columns.map(
                  (column) => html`<td class=${column.className} data-label=${column.label}>
                    <div class="cell">${column.render ? column.render(row) : row[column.key] ?? ''}</div>
                  </td>`,
                )}
              </tr>
            `;
          })}
        </tbody>
      </table>
    </div>
  `;
}

// Offset/limit paging with the total the API returns.
export function Pager({ offset, limit, total, onChange }) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return html`
    <nav class="pager" aria-label=${t('pager.label')}>
      <button type="button" disabled=${offset <= 0} onClick=${() => onChange(Math.max(0, offset - limit))}>
        ${t('pager.previous')}
      </button>
      <span class="pager-range">${t('pager.range', { first: formatNumber(first), last: formatNumber(last), total: formatNumber(total) })}</span>
      <button type="button" disabled=${offset + limit >= total} onClick=${() => onChange(offset + limit)}>
        ${t('pager.next')}
      </button>
    </nav>
  `;
}

// Toasts: notify('Saved') or notify(message, 'error'); app.js renders <Toasts />.
const toastListeners = new Set();
let toasts = [];
let toastId = 0;

export function notify(message, kind = 'info') {
  const id = ++toastId;
  toasts = [...toasts, { id, message, kind }];
  toastListeners.forEach((listener) => listener(toasts));
  setTimeout(() => dismissToast(id), kind === 'error' ? 8000 : 4000);
}

function dismissToast(id) {
  toasts = toasts.filter((toast) => toast.id !== id);
  toastListeners.forEach((listener) => listener(toasts));
}

export function Toasts() {
  const [shown, setShown] = useState(toasts);
  useEffect(() => {
    toastListeners.add(setShown);
    return () => toastListeners.delete(setShown);
  }, []);
  return html`
    <div class="toasts" role="status" aria-live="polite">
      ${shown.map(
        (toast) => html`
          <div key=${toast.id} class=${`toast toast-${toast.kind}`}>
            <span>${toast.message}</span>
            <button type="button" class="toast-close" aria-label=${t('common.dismiss')} onClick=${() => dismissToast(toast.id)}>×</button>
          </div>
        `,
      )}
    </div>
  `;
}

// A modal <dialog> asking to confirm; resolves true on confirm, false on cancel or Escape.
export function confirmDialog(message, { confirmLabel, danger = false } = {}) {
  return new Promise((resolvePromise) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'confirm-dialog';
    document.body.appendChild(dialog);
    const close = (answer) => {
      dialog.close();
      render(null, dialog);
      dialog.remove();
      resolvePromise(answer);
    };
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    render(
      html`
        <form method="dialog" class="dialog-body" onSubmit=${(event) => { event.preventDefault(); close(true); }}>
          <p>${message}</p>
          <div class="dialog-actions">
            <button type="button" onClick=${() => close(false)}>${t('common.cancel')}</button>
            <button type="submit" class=${danger ? 'danger' : 'primary'}>${confirmLabel ?? t('common.confirm')}</button>
          </div>
        </form>
      `,
      dialog,
    );
    dialog.showModal();
    dialog.querySelector('button[type=submit]')?.focus();
  });
}

// An error from api() (or any Error), with the HTTP status and VIAS code when there are;
// title replaces the default 'Error <status>' heading.
export function ErrorBox({ error, title }) {
  if (!error) return null;
  const status = error.status ? ` (${error.status})` : '';
  return html`
    <div class="error-box" role="alert">
      <strong>${title ? `${title}${status}` : error.status ? t('error.title', { status: error.status }) : t('error.titleNoStatus')}</strong>
      <span class="error-message">${error.message || String(error)}</span>
      ${error.code ? html`<code class="error-code">${error.code}</code>` : null}
    </div>
  `;
}

export function Spinner() {
  return html`<span class="spinner" role="progressbar" aria-label=${t('common.loading')}></span>`;
}

// A <label> wrapping its control (the label text is the control's accessible name), with an
// optional hint and error message below it.
export function Field({ label, hint, error, children, className = '' }) {
  return html`
    <div class=${`field ${error ? 'field-invalid' : ''} ${className}`}>
      <label class="field-control">
        <span class="field-label">${label}</span>
        ${children}
      </label>
      ${hint ? html`<span class="field-hint">${hint}</span>` : null}
      ${error ? html`<span class="field-error" role="alert">${error}</span>` : null}
    </div>
  `;
}

const STATE_TONES = {
  running: 'good', succeeded: 'good', success: 'good', delivered: 'good', approved: 'good', enabled: 'good', online: 'good', normal: 'good',
  waiting: 'neutral', pending: 'neutral', scheduled: 'neutral', creating: 'neutral', starting: 'neutral', stopping: 'neutral', retrying: 'warn', unreviewed: 'warn',
  stopped: 'muted', disabled: 'muted', offline: 'muted',
  failed: 'bad', abnormal: 'bad', error: 'bad', dead: 'bad', rejected: 'bad',
  start_failed: 'bad', create_failed: 'bad', lack_of_resources: 'bad', recovering: 'warn',
  service_running: 'good', service_deploying: 'neutral', service_failed: 'bad', service_stopping: 'neutral',
  service_stopped: 'muted', service_upgrading: 'neutral', service_finished: 'muted', service_concerning: 'warn', not_deployed: 'muted',
};

// A state as a coloured badge; the text is t('state.<state>') when there is one.
export function StateBadge({ state }) {
  const key = String(state ?? '').toLowerCase();
  const label = t(`state.${key}`);
  return html`<span class=${`badge badge-${STATE_TONES[key] ?? 'neutral'}`}>${label === `state.${key}` ? state : label}</span>`;
}

// Epoch milliseconds (or an ISO string) as local date and time.
export function formatTime(epochMs) {
  if (epochMs === undefined || epochMs === null || epochMs === '') return '';
  const date = new Date(typeof epochMs === 'string' && /^\d+$/.test(epochMs) ? Number(epochMs) : epochMs);
  if (Number.isNaN(date.getTime())) return String(epochMs);
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

// Seconds as '45 s', '12 min 5 s', '3 h 20 min', '2 d 4 h'.
export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '';
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return t('duration.s', { s });
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return t('duration.dh', { d, h });
  if (h) return t('duration.hm', { h, m });
  return t('duration.ms', { m, s });
}

// Calls fn now and every ms milliseconds while the page is visible (and again when it
// becomes visible); a call still running is not overlapped.
export function usePoll(fn, ms, deps = []) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let running = false;
    let stopped = false;
    const tick = async () => {
      if (stopped || running || document.visibilityState !== 'visible') return;
      running = true;
      try {
        await latest.current();
      } catch {
        // the poller shows its own errors; a failed round is retried on the next tick
      } finally {
        running = false;
      }
    };
    tick();
    const timer = setInterval(tick, ms);
    const visible = () => document.visibilityState === 'visible' && tick();
    document.addEventListener('visibilitychange', visible);
    return () => {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', visible);
    };
  }, [ms, ...deps]);
}

// Runs fn(signal) when deps change; { data, error, loading, reload }. The previous data
// stays while reloading; a superseded call is aborted and its answer ignored.
export function useAsync(fn, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let live = true;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    Promise.resolve()
      .then(() => latest.current(controller.signal))
      .then(
        (data) => live && setState({ data, error: null, loading: false }),
        (error) => {
          if (live && error?.name !== 'AbortError') setState((previous) => ({ data: previous.data, error, loading: false }));
        },
      );
    return () => {
      live = false;
      controller.abort();
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}
