// Overview: what needs attention first, then tasks by state, alarms today and this week per
// service, deliveries and the streams analysed now. Counts come from the Overview summary
// (GET /overview, each count equal to a list call's total), refreshed every 10 s while the
// page is visible.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { link } from '../router.js';
import { DataTable, ErrorBox, Page, Spinner, StateBadge, formatDuration, formatTime, usePoll } from '../components.js';

const REFRESH_MS = 10_000;
// The states shown, in this order; the others (deleting, freezing...) count in the total.
const TASK_STATES = ['RUNNING', 'PENDING', 'STARTING', 'SCHEDULING', 'STOPPED', 'SUCCEEDED', 'ABNORMAL', 'START_FAILED', 'CREATE_FAILED', 'FAILED', 'LACK_OF_RESOURCES'];
const FAILED_STATES = new Set(['ABNORMAL', 'START_FAILED', 'CREATE_FAILED', 'FAILED', 'LACK_OF_RESOURCES']);
const POOR_QUALITY = new Set(['poor', 'unusable']);
const LAG_ATTENTION_SECONDS = 30;

// The user's time zone: the server counts "today" and "this week" from its midnights.
const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

// One call for the counts (GET /overview); the same shapes the cards used to build from the
// list endpoints' totals.
async function summaryCounts(signal) {
  const overview = await api('~/overview', { query: { tz: timeZone() }, signal });
  const byState = Object.fromEntries(
    overview.tasks.by_state.map((row) => [row.state, { total: row.total, tasks: row.names.map((name) => ({ name })) }]),
  );
  const { alarms } = overview;
  return {
    tasks: { total: overview.tasks.total, byState },
    alarms: {
      today: alarms.today,
      week: alarms.week,
      weekStart: alarms.week_start,
      pendingReview: alarms.pending_review,
      perService: alarms.per_service.map((row) => ({ service: { service_name: row.service_name }, today: row.today, week: row.week })),
    },
    deliveries: { summary: overview.deliveries },
  };
}

// null when stream health does not answer (an older server, or it failed): the card is left
// out rather than hiding the rest of the page.
async function streamHealth(signal) {
  try {
    return await api('~/streams', { query: { limit: 100 }, signal });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    return null;
  }
}

function Attention({ tasks, alarms, deliveries, streams }) {
  const items = [];
  for (const state of TASK_STATES.filter((s) => FAILED_STATES.has(s))) {
    const page = tasks.byState[state];
    if (!page?.total) continue;
    items.push(html`
      <li key=${`tasks-${state}`}>
        <a href=${link('/tasks/list', { task_state: state })}>${t('overview.attention.tasks', { n: formatNumber(page.total) })}</a>
        <${StateBadge} state=${state} />
        <span class="attention-detail">${page.tasks.map((task) => task.name).join(', ')}${page.total > page.tasks.length ? ', …' : ''}</span>
      </li>
    `);
  }
  if (deliveries.summary.dead) {
    items.push(html`
      <li key="deliveries-dead">
        <a href=${link('/deliveries', { state: 'dead' })}>${t('overview.attention.deadDeliveries', { n: formatNumber(deliveries.summary.dead) })}</a>
        ${deliveries.summary.last_error ? html`<span class="attention-detail">${deliveries.summary.last_error}</span>` : null}
      </li>
    `);
  }
  if (alarms.pendingReview) {
    items.push(html`
      <li key="alarms-review">
        <a href=${link('/events', { review_state: 'pending', start_time: alarms.weekStart })}>${t('overview.attention.review', { n: formatNumber(alarms.pendingReview) })}</a>
      </li>
    `);
  }
  for (const stream of streams?.streams ?? []) {
    const poor = POOR_QUALITY.has(String(stream.connection_quality ?? '').toLowerCase());
    const lagging = (stream.lag_seconds ?? 0) > LAG_ATTENTION_SECONDS;
    if (!poor && !lagging) continue;
    items.push(html`
      <li key=${`stream-${stream.task_id}`}>
        <a href=${link('/tasks/list', { task_id: stream.task_id })}>${t('overview.attention.stream', { name: stream.task_name })}</a>
        <span class="attention-detail">
          ${poor ? t('overview.streams.quality', { quality: stream.connection_quality }) : ''}
          ${lagging ? ` ${t('overview.streams.lagBehind', { lag: formatDuration(stream.lag_seconds) })}` : ''}
        </span>
      </li>
    `);
  }
  return html`
    <section class="card attention" aria-labelledby="attention-title">
      <h2 id="attention-title">${t('overview.attention.title')}</h2>
      ${items.length ? html`<ul class="attention-list">${items}</ul>` : html`<p class="all-clear">${t('overview.attention.none')}</p>`}
    </section>
  `;
}

function Tasks({ tasks }) {
  const rows = TASK_STATES.filter((state) => tasks.byState[state]?.total).map((state) => ({ state, total: tasks.byState[state].total }));
  return html`
    <section class="card" aria-labelledby="tasks-title">
      <h2 id="tasks-title"><a href=${link('/tasks/list')}>${t('overview.tasks.title')}</a></h2>
      <p class="big-number"><span>${formatNumber(tasks.total)}</span> ${t('overview.tasks.total')}</p>
      ${rows.length
        ? html`<ul class="count-list" aria-label=${t('overview.tasks.byState')}>
            ${rows.map(
              (row) => html`<li key=${row.state}>
                <a href=${link('/tasks/list', { task_state: row.state })}><${StateBadge} state=${row.state} /></a>
                <span class="count" data-state=${row.state}>${formatNumber(row.total)}</span>
              </li>`,
            )}
          </ul>`
        : html`<p class="empty">${t('overview.tasks.none')}</p>`}
    </section>
  `;
}

function Alarms({ alarms }) {
  return html`
    <section class="card" aria-labelledby="alarms-title">
      <h2 id="alarms-title"><a href=${link('/events')}>${t('overview.alarms.title')}</a></h2>
      <dl class="stat-pair">
        <div><dt>${t('overview.alarms.today')}</dt><dd data-testid="alarms-today">${formatNumber(alarms.today)}</dd></div>
        <div><dt>${t('overview.alarms.week')}</dt><dd data-testid="alarms-week">${formatNumber(alarms.week)}</dd></div>
      </dl>
      ${alarms.perService.length
        ? html`<table class="mini-table">
            <caption class="visually-hidden">${t('overview.alarms.perService')}</caption>
            <thead><tr><th scope="col">${t('overview.alarms.service')}</th><th scope="col" class="num">${t('overview.alarms.today')}</th><th scope="col" class="num">${t('overview.alarms.week')}</th></tr></thead>
            <tbody>
              ${alarms.perService.map(
                (row) => html`<tr key=${row.service.service_name}>
                  <th scope="row"><a href=${link('/events', { service: row.service.service_name })}>${row.service.service_name}</a></th>
                  <td class="num">${formatNumber(row.today)}</td>
                  <td class="num">${formatNumber(row.week)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : null}
    </section>
  `;
}

function Deliveries({ deliveries }) {
  const { summary } = deliveries;
  return html`
    <section class="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title"><a href=${link('/deliveries')}>${t('overview.deliveries.title')}</a></h2>
      <ul class="count-list">
        <li><a href=${link('/deliveries', { state: 'pending' })}><${StateBadge} state="pending" /></a><span class="count" data-testid="deliveries-pending">${formatNumber(summary.pending)}</span></li>
        <li><a href=${link('/deliveries', { state: 'delivered' })}><${StateBadge} state="delivered" /></a><span class="count" data-testid="deliveries-delivered">${formatNumber(summary.delivered)}</span></li>
        <li><a href=${link('/deliveries', { state: 'dead' })}><${StateBadge} state="dead" /></a><span class="count" data-testid="deliveries-dead">${formatNumber(summary.dead)}</span></li>
      </ul>
      ${summary.last_error
        ? html`<p class="last-error"><strong>${t('overview.deliveries.lastError')}</strong> ${formatTime(summary.last_error_at)}: ${summary.last_error}</p>`
        : null}
    </section>
  `;
}

function rate(stream) {
  if (stream.analysed_per_second === null || stream.analysed_per_second === undefined) return '—';
  const analysed = stream.analysed_per_second.toFixed(1);
  return stream.expected_per_second ? `${analysed} / ${stream.expected_per_second.toFixed(1)}` : analysed;
}

function Streams({ streams }) {
  const columns = [
    { key: 'task_name', label: t('overview.streams.task'), render: (s) => html`<a href=${link('/tasks/list', { task_id: s.task_id })}>${s.task_name}</a>` },
    { key: 'service_name', label: t('overview.streams.service') },
    { key: 'state', label: t('overview.streams.state'), render: (s) => html`<${StateBadge} state=${s.state} />` },
    { key: 'connection_quality', label: t('overview.streams.connection'), render: (s) => s.connection_quality ?? '—' },
    { key: 'rate', label: t('overview.streams.rate'), className: 'num', render: rate },
    { key: 'lag', label: t('overview.streams.lag'), className: 'num', render: (s) => (s.lag_seconds === null || s.lag_seconds === undefined ? '—' : formatDuration(s.lag_seconds)) },
  ];
  return html`
    <section class="card card-wide" aria-labelledby="streams-title">
      <h2 id="streams-title">${t('overview.streams.title', { n: formatNumber(streams.total) })}</h2>
      <p class="muted">${t('overview.streams.intro')}</p>
      <${DataTable} columns=${columns} rows=${streams.streams} rowKey="task_id" empty=${t('overview.streams.none')} />
    </section>
  `;
}

export default function OverviewPage() {
  const [snapshot, setSnapshot] = useState(null);
  const [error, setError] = useState(null);
  const [round, setRound] = useState(0);

  usePoll(
    async () => {
      try {
        const [counts, streams] = await Promise.all([summaryCounts(), streamHealth()]);
        setSnapshot({ ...counts, streams, at: Date.now() });
        setError(null);
      } catch (failure) {
        setError(failure);
      }
    },
    REFRESH_MS,
    [round],
  );

  const actions = html`
    ${snapshot ? html`<span class="muted updated">${t('overview.updated', { time: formatTime(snapshot.at) })}</span>` : null}
    <button type="button" onClick=${() => setRound((n) => n + 1)}>${t('common.refresh')}</button>
  `;
  const failure = error;
  return html`
    <${Page} title=${t('nav.overview')} actions=${actions}>
      <${ErrorBox} error=${failure} />
      ${snapshot
        ? html`
            <${Attention} ...${snapshot} />
            <div class="cards overview-cards">
              <${Tasks} tasks=${snapshot.tasks} />
              <${Alarms} alarms=${snapshot.alarms} />
              <${Deliveries} deliveries=${snapshot.deliveries} />
              ${snapshot.streams ? html`<${Streams} streams=${snapshot.streams} />` : null}
            </div>
          `
        : failure
          ? null
          : html`<${Spinner} />`}
    </${Page}>
  `;
}
