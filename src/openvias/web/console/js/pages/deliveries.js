// Deliveries (#/deliveries): how the alarms get out to each output (webhook, OBS, DIS),
// delivered / retrying / dead with the last error, and retry of dead deliveries.
import { html, useState, useCallback } from '../lib.js';
import { api } from '../api.js';
import { useRoute, setParams, link } from '../router.js';
import { t, formatNumber } from '../i18n.js';
import { Page, DataTable, Pager, ErrorBox, Spinner, Field, StateBadge, notify, formatTime, usePoll } from '../components.js';

const SINKS = ['webhook', 'obs', 'dis'];
const STATES = ['pending', 'delivered', 'dead'];
const PAGE_SIZE = 20;
/** The per-target table groups this many of the newest deliveries. */
const RECENT = 100;
const POLL_MS = 5000;

/** What a delivery is sent to: the webhook URL, the OBS bucket and path, the DIS stream. */
export function describeTarget(sink, target) {
  if (sink === 'webhook') return target.url || '';
  if (sink === 'obs') return [target.bucket, target.path].filter(Boolean).join('/');
  if (sink === 'dis') return target.stream_name || '';
  return JSON.stringify(target);
}

export function DeliveryTarget({ delivery }) {
  return html`<span class="dl-target">${describeTarget(delivery.sink, delivery.target)}</span>`;
}

/** A pending delivery that failed at least once is retrying; else its state. */
export function shownState(delivery) {
  return delivery.state === 'pending' && delivery.attempts > 0 ? 'retrying' : delivery.state;
}

/** Sends a dead delivery again; true when the API took it. */
export async function retryDelivery(delivery) {
  try {
    await api(`~/deliveries/${delivery.id}/retry`, { method: 'POST' });
    notify(t('deliveries.retried', { id: delivery.id }));
    return true;
  } catch (error) {
    notify(t('deliveries.retryFailed', { id: delivery.id, message: error.message }), 'error');
    return false;
  }
}

function lastFailure(delivery) {
  for (let i = delivery.history.length - 1; i >= 0; i -= 1) {
    if (delivery.history[i].outcome !== 'delivered') return delivery.history[i];
  }
  return null;
}

/** Groups deliveries by (sink, target): counts per shown state and the latest failure. */
function byTarget(deliveries) {
  const groups = new Map();
  for (const delivery of deliveries) {
    const target = describeTarget(delivery.sink, delivery.target);
    const key = `${delivery.sink} ${target}`;
    if (!groups.has(key)) {
      groups.set(key, { key, sink: delivery.sink, target, delivered: 0, pending: 0, retrying: 0, dead: 0, error: null });
    }
    const group = groups.get(key);
    group[shownState(delivery)] += 1;
    const failure = lastFailure(delivery);
    if (failure && (!group.error || failure.started_at > group.error.started_at)) group.error = failure;
  }
  return [...groups.values()];
}

function Counts({ delivered, retrying, pending, dead }) {
  return html`<span class="dl-counts">
    <span class="dl-count dl-count-delivered">${t('deliveries.count.delivered', { n: formatNumber(delivered) })}</span>
    ${retrying !== undefined
      ? html`<span class="dl-count dl-count-retrying">${t('deliveries.count.retrying', { n: formatNumber(retrying) })}</span>`
      : null}
    <span class="dl-count dl-count-pending">${t('deliveries.count.pending', { n: formatNumber(pending) })}</span>
    <span class="dl-count dl-count-dead">${t('deliveries.count.dead', { n: formatNumber(dead) })}</span>
  </span>`;
}

/** The API's counts over every delivery of the chosen output kind (all states), with the
 * latest failure. */
function Summary({ summary, sink }) {
  const total = summary.pending + summary.delivered + summary.dead;
  return html`<div class=${`dl-kind${summary.dead ? ' has-dead' : ''}`}>
    <h3>${sink ? t(`deliveries.sink.${sink}`) : t('deliveries.allOutputs')}</h3>
    ${total
      ? html`<${Counts} delivered=${summary.delivered} pending=${summary.pending} dead=${summary.dead} />`
      : html`<span class="dl-none">${t('deliveries.noneYet')}</span>`}
    ${summary.last_error
      ? html`<p class="dl-last-error">
          <span>${t('deliveries.lastError', { time: formatTime(summary.last_error_at) })}</span>
          <code>${summary.last_error}</code>
        </p>`
      : null}
  </div>`;
}

function TargetTable({ recent }) {
  const columns = [
    { key: 'sink', label: t('deliveries.col.sink'), render: (g) => t(`deliveries.sink.${g.sink}`) },
    { key: 'target', label: t('deliveries.col.target'), className: 'dl-target-cell', render: (g) => g.target },
    { key: 'delivered', label: t('deliveries.col.delivered'), render: (g) => formatNumber(g.delivered) },
    { key: 'retrying', label: t('deliveries.col.retrying'), render: (g) => formatNumber(g.retrying) },
    { key: 'waiting', label: t('deliveries.col.waiting'), render: (g) => formatNumber(g.pending) },
    { key: 'dead', label: t('deliveries.col.dead'), render: (g) => formatNumber(g.dead) },
    {
      key: 'error',
      label: t('deliveries.col.lastError'),
      className: 'dl-error',
      render: (g) => (g.error ? html`<span title=${formatTime(g.error.started_at)}>${g.error.detail}</span>` : ''),
    },
  ];
  return html`<h3 class="dl-subtitle">${t('deliveries.byTargetCaption', { n: formatNumber(RECENT) })}</h3>
    <${DataTable} columns=${columns} rows=${byTarget(recent)} rowKey="key" empty=${t('deliveries.empty')} />`;
}

function ListFilters({ params }) {
  const set = (changes) => setParams({ ...changes, offset: null });
  return html`<form class="dl-filters" role="search" aria-label=${t('deliveries.filters')} onSubmit=${(e) => e.preventDefault()}>
    <${Field} label=${t('deliveries.filter.state')}>
      <select value=${params.get('state') || ''} onChange=${(e) => set({ state: e.currentTarget.value })}>
        <option value="">${t('deliveries.filter.any')}</option>
        ${STATES.map((state) => html`<option key=${state} value=${state}>${t(`deliveries.state.${state}`)}</option>`)}
      </select>
    </${Field}>
    <${Field} label=${t('deliveries.filter.sink')}>
      <select value=${params.get('sink') || ''} onChange=${(e) => set({ sink: e.currentTarget.value })}>
        <option value="">${t('deliveries.filter.any')}</option>
        ${SINKS.map((sink) => html`<option key=${sink} value=${sink}>${t(`deliveries.sink.${sink}`)}</option>`)}
      </select>
    </${Field}>
  </form>`;
}

export default function DeliveriesPage() {
  const { params } = useRoute();
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const state = params.get('state') || undefined;
  const sink = params.get('sink') || undefined;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(() => new Set());
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      // Two calls: the page (whose summary counts the chosen output kind in every state)
      // and the newest deliveries, grouped by target here (the API counts per filter,
      // not per target).
      const [list, recent] = await Promise.all([
        api('~/deliveries', { query: { state, sink, offset, limit: PAGE_SIZE } }),
        api('~/deliveries', { query: { sink, limit: RECENT } }),
      ]);
      setData({ list, recent: recent.deliveries });
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [state, sink, offset]);
  usePoll(load, POLL_MS, [state, sink, offset]);

  const deliveries = data ? data.list.deliveries : [];
  const deadSelected = deliveries.filter((d) => selected.has(d.id) && d.state === 'dead');
  const retrySelected = async () => {
    setBusy(true);
    let done = 0;
    for (const delivery of deadSelected) {
      try {
        await api(`~/deliveries/${delivery.id}/retry`, { method: 'POST' });
        done += 1;
      } catch (failure) {
        notify(t('deliveries.retryFailed', { id: delivery.id, message: failure.message }), 'error');
      }
    }
    setBusy(false);
    setSelected(new Set());
    if (done) notify(t('deliveries.retriedMany', { n: formatNumber(done) }));
    load();
  };
  const retryOne = async (delivery) => {
    if (await retryDelivery(delivery)) load();
  };

  const columns = [
    {
      key: 'event',
      label: t('deliveries.col.alarm'),
      render: (d) => html`<a href=${link(`/events/${d.event_id}`)}>${formatTime(d.created_at)}</a>`,
    },
    { key: 'sink', label: t('deliveries.col.sink'), render: (d) => t(`deliveries.sink.${d.sink}`) },
    { key: 'target', label: t('deliveries.col.target'), className: 'dl-target-cell', render: (d) => html`<${DeliveryTarget} delivery=${d} />` },
    { key: 'state', label: t('deliveries.col.state'), render: (d) => html`<${StateBadge} state=${shownState(d)} />` },
    { key: 'attempts', label: t('deliveries.col.attempts'), render: (d) => formatNumber(d.history.length) },
    { key: 'error', label: t('deliveries.col.lastError'), className: 'dl-error', render: (d) => d.last_error || '' },
    {
      key: 'delivered',
      label: t('deliveries.col.deliveredAt'),
      render: (d) => (d.delivered_at ? formatTime(d.delivered_at) : ''),
    },
    {
      key: 'actions',
      label: t('deliveries.col.actions'),
      render: (d) =>
        d.state === 'dead'
          ? html`<button type="button" onClick=${() => retryOne(d)} aria-label=${t('deliveries.retryOne', { id: d.id })}>
              ${t('deliveries.retry')}
            </button>`
          : null,
    },
  ];

  const actions = html`<button type="button" disabled=${!deadSelected.length || busy} onClick=${retrySelected}>
    ${t('deliveries.retrySelected', { n: formatNumber(deadSelected.length) })}
  </button>`;

  return html`<${Page} title=${t('deliveries.title')} actions=${actions}>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!data && !error ? html`<${Spinner} />` : null}
    ${data
      ? html`<section class="dl-section" aria-labelledby="dl-outputs-title">
            <h2 id="dl-outputs-title">${t('deliveries.outputs')}</h2>
            <${Summary} summary=${data.list.summary} sink=${sink} />
            <${TargetTable} recent=${data.recent} />
          </section>
          <section class="dl-section" aria-labelledby="dl-list-title">
            <h2 id="dl-list-title">${t('deliveries.list')}</h2>
            <${ListFilters} params=${params} />
            <${DataTable}
              columns=${columns}
              rows=${deliveries}
              rowKey="id"
              selectable=${true}
              selected=${selected}
              onSelect=${setSelected}
              empty=${t('deliveries.empty')}
            />
            ${data.list.total > PAGE_SIZE
              ? html`<${Pager}
                  offset=${offset}
                  limit=${PAGE_SIZE}
                  total=${data.list.total}
                  onChange=${(next) => setParams({ offset: next || null })}
                />`
              : null}
          </section>`
      : null}
  </${Page}>`;
}
