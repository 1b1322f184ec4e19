// Tasks (#/tasks/list): every task with its state, error, alarms and stream health; start,
// stop, delete one or many; filters and paging in the URL.
import { html, useEffect, useState } from '../lib.js';
import { api } from '../api.js';
import { DataTable, ErrorBox, Field, Page, StateBadge, confirmDialog, formatTime, notify, useAsync, usePoll } from '../components.js';
import { link, setParams, useRoute } from '../router.js';
import { formatNumber, t } from '../i18n.js';
import { BulkBar, ListPager, PAGE_SIZES, reportBulk, runEach } from './batch-tasks.js';

const STATES = [
  'PENDING', 'RECOVERING', 'STARTING', 'UPGRADING', 'CREATE_FAILED', 'START_FAILED', 'RUNNING', 'STOPPING', 'STOPPED',
  'ABNORMAL', 'SUCCEEDED', 'FAILED', 'DELETING', 'FREEZING', 'FROZEN', 'SCHEDULING', 'LACK_OF_RESOURCES',
];
const FAILING = new Set(['CREATE_FAILED', 'START_FAILED', 'FAILED', 'ABNORMAL']);
const STREAMING = new Set(['RUNNING', 'ABNORMAL', 'RECOVERING']);
// Set once GET ~/tasks/{id}/stream turns out not to exist on this server.
let streamsMissing = false;

// Per row, fetched after the list: ShowTaskInfo's error (failing tasks), the alarm count
// (ListEvents?task_id=&limit=1 answers the total) and the stream health of running tasks.
function useRowDetails(rows) {
  const [details, setDetails] = useState({});
  const key = rows.map((r) => `${r.id}:${r.state}`).join(',');
  useEffect(() => {
    let live = true;
    const controller = new AbortController();
    const put = (id, changes) => live && setDetails((all) => ({ ...all, [id]: { ...all[id], ...changes } }));
    for (const row of rows) {
      api('~/events', { signal: controller.signal, query: { task_id: row.id, limit: 1 } })
        .then((found) => put(row.id, { alarms: found?.total ?? 0 }))
        .catch(() => {});
      if (FAILING.has(row.state)) {
        api(`~/tasks/${row.id}`, { signal: controller.signal })
          .then((info) => put(row.id, { error: info.error?.message || info.status || '' }))
          .catch(() => {});
      }
      if (STREAMING.has(row.state) && !streamsMissing) {
        api(`~/tasks/${row.id}/stream`, { signal: controller.signal })
          .then((stream) => put(row.id, { stream }))
          .catch((error) => {
            if (error?.status === 404 && /No API matches/.test(error.body?.detail ?? '')) streamsMissing = true;
          });
      }
    }
    return () => {
      live = false;
      controller.abort();
    };
  }, [key]);
  return details;
}

function StreamHealth({ stream }) {
  if (!stream) return html`<span class="muted">—</span>`;
  const fixed = (value) => (value === null || value === undefined ? null : Number(value).toFixed(1));
  const rate = fixed(stream.analysed_per_second);
  const lag = fixed(stream.lag_seconds);
  return html`
    <span class="stream-health">
      <${StateBadge} state=${stream.connection_quality ?? stream.source_state ?? stream.state} />
      ${rate === null
        ? html`<span class="muted">${t('tasks.streamNoNumbers')}</span>`
        : html`<span>${t('tasks.streamRate', { rate, expected: fixed(stream.expected_per_second) ?? '?' })}</span>`}
      ${lag === null ? null : html`<span class="muted">${t('tasks.streamLag', { lag })}</span>`}
    </span>
  `;
}

export default function TasksPage() {
  const { params } = useRoute();
  const name = params.get('name') ?? '';
  // task_state and task_id are the Overview's links (#/tasks/list?task_state=RUNNING).
  const state = params.get('state') ?? params.get('task_state') ?? '';
  const taskId = params.get('task_id') ?? '';
  const batch = params.get('batch') ?? '';
  const size = PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : 20;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [search, setSearch] = useState(name);
  const [selected, setSelected] = useState(new Set());
  const [busy, setBusy] = useState(false);

  const listing = useAsync(async (signal) => {
    if (!taskId) return api('~/tasks', { signal, query: { page, page_size: size, task_name: name, task_state: state, batch_id: batch } });
    // One task (ListTasks has no id filter): ShowTaskInfo as a one-row list.
    const info = await api(`~/tasks/${encodeURIComponent(taskId)}`, { signal });
    return { total: 1, tasks: [{ ...info, created_at: Date.parse(info.created_at) }] };
  }, [name, state, batch, size, page, taskId]);
  usePoll(() => listing.reload(), 5000, []);
  const failingOnly = params.get('failing') === '1';
  const rows = (listing.data?.tasks ?? []).filter((row) => !failingOnly || FAILING.has(row.state));
  const total = listing.data?.total ?? listing.data?.count ?? 0;
  const details = useRowDetails(rows);
  const chosen = rows.filter((row) => selected.has(row.id));

  const act = async (action, items) => {
    if (!items.length) return;
    if (action === 'delete' && !(await confirmDialog(t('tasks.confirmDelete', { n: items.length }), { confirmLabel: t('tc.delete'), danger: true }))) return;
    setBusy(true);
    const outcome = await runEach(items, (task) => task.name, (task) =>
      action === 'delete' ? api(`~/tasks/${task.id}`, { method: 'DELETE' }) : api(`~/tasks/${task.id}/action/${action}`, { method: 'PUT' }),
    );
    setBusy(false);
    reportBulk(t(`tc.bulk.action.${action}`), items.length, outcome);
    setSelected(new Set());
    listing.reload();
  };

  const columns = [
    { key: 'name', label: t('tasks.name'), render: (task) => html`<span class="stack"><span class="task-name">${task.name}</span><code class="muted">${task.id}</code></span>` },
    { key: 'state', label: t('tasks.state'), render: (task) => html`<${StateBadge} state=${task.state} />` },
    { key: 'error', label: t('tasks.error'), render: (task) => (details[task.id]?.error ? html`<span class="bad">${details[task.id].error}</span>` : html`<span class="muted">—</span>`) },
    { key: 'video_source_name', label: t('tasks.source'), render: (task) => task.video_source_name || '—' },
    { key: 'title', label: t('tasks.algorithm') },
    { key: 'batch_id', label: t('tasks.batch'), render: (task) => (task.batch_id ? html`<a href=${link('/tasks/list', { batch: task.batch_id })} aria-label=${t('tasks.batchOf', { name: task.name })}>${task.batch_id.slice(0, 8)}</a>` : '—') },
    {
      key: 'alarms',
      label: t('tasks.alarms'),
      className: 'num',
      render: (task) => html`<a href=${link('/events', { task: task.id })} aria-label=${t('tasks.alarmsOf', { name: task.name })}>${details[task.id]?.alarms === undefined ? '…' : formatNumber(details[task.id].alarms)}</a>`,
    },
    { key: 'stream', label: t('tasks.stream'), render: (task) => html`<${StreamHealth} stream=${details[task.id]?.stream} />` },
    { key: 'created_at', label: t('tasks.created'), render: (task) => formatTime(task.created_at) },
  ];

  return html`
    <${Page} title=${t('tasks.title')}>
      <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setParams({ name: search.trim(), page: null }); }}>
        <${Field} label=${t('tasks.filterName')}>
          <input type="search" name="name" value=${search} maxlength="1024" onInput=${(e) => setSearch(e.currentTarget.value)} />
        </${Field}>
        <${Field} label=${t('tasks.filterState')}>
          <select name="state" value=${state} onChange=${(e) => setParams({ state: e.currentTarget.value, task_state: null, failing: null, page: null })}>
            <option value="">${t('tc.filters.any')}</option>
            ${STATES.map((s) => html`<option value=${s}>${t(`state.${s.toLowerCase()}`) === `state.${s.toLowerCase()}` ? s : t(`state.${s.toLowerCase()}`)}</option>`)}
          </select>
        </${Field}>
        <button type="submit">${t('tc.filters.apply')}</button>
        ${batch || failingOnly || taskId
          ? html`<p class="active-filter">${batch ? t('tasks.ofBatch', { id: batch }) : ''} ${failingOnly ? t('tasks.failingOnly') : ''} ${taskId ? t('tasks.onlyTask', { id: taskId }) : ''}
              <button type="button" class="link-button" onClick=${() => setParams({ batch: null, failing: null, task_id: null, page: null })}>${t('tc.filters.clear')}</button></p>`
          : null}
      </form>
      <${BulkBar} chosen=${chosen} busy=${busy || (listing.loading && !listing.data)} act=${act} />
      ${chosen.some((task) => task.batch_id) ? html`<p class="field-hint">${t('tasks.memberHint')}</p>` : null}
      <${ErrorBox} error=${listing.error} />
      ${listing.data
        ? html`
            <${DataTable} columns=${columns} rows=${rows} rowKey="id" selectable selected=${selected} onSelect=${setSelected} empty=${t('tasks.empty')} caption=${t('tasks.caption', { n: formatNumber(total) })} />
            <${ListPager} page=${page} size=${size} total=${total} />
          `
        : null}
    </${Page}>
  `;
}
