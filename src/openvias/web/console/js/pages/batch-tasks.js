// Batch tasks (#/tasks/batch): state counts, algorithm, groups, tasks, failures; start, stop,
// delete, one or many (one API call per batch task, failures summed up); filters and paging
// in the URL.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { DataTable, ErrorBox, Field, Page, Pager, StateBadge, Spinner, confirmDialog, formatTime, notify, useAsync, usePoll } from '../components.js';
import { link, setParams, useRoute } from '../router.js';
import { formatNumber, t } from '../i18n.js';

// Lower-case states of ListBatchTasks' task_state filter.
export const BATCH_STATES = [
  'pending', 'recovering', 'starting', 'upgrading', 'create_failed', 'start_failed', 'running', 'stopping', 'stopped',
  'abnormal', 'succeeded', 'failed', 'deleting', 'freezing', 'frozen', 'stopped_no_service', 'scheduling', 'lack_of_resources',
];
export const FAILING_STATES = ['create_failed', 'start_failed', 'failed', 'abnormal', 'lack_of_resources'];
export const PAGE_SIZES = [10, 20, 50, 100];

// Runs fn over the items one after the other; { done, failed: [[label, message]] }.
// A VIAS batch answer with failed members counts as a failure of that item.
export async function runEach(items, label, fn) {
  const failed = [];
  let done = 0;
  for (const item of items) {
    try {
      const result = await fn(item);
      if (result?.failed_count) failed.push([label(item), (result.error_list ?? []).join('; ') || t('tc.bulk.membersFailed', { n: result.failed_count })]);
      else done += 1;
    } catch (error) {
      failed.push([label(item), error.message]);
    }
  }
  return { done, failed };
}

export function reportBulk(action, total, { done, failed }) {
  if (!failed.length) {
    notify(t('tc.bulk.done', { action, n: done }));
    return;
  }
  const detail = failed.slice(0, 3).map(([name, message]) => `${name}: ${message}`).join(' · ');
  const more = failed.length > 3 ? ` ${t('tc.bulk.more', { n: failed.length - 3 })}` : '';
  notify(t('tc.bulk.partial', { action, done, total, failed: failed.length, detail: detail + more }), 'error');
}

function StateCounts({ info }) {
  const entries = Object.entries(info ?? {}).filter(([, n]) => n > 0);
  if (!entries.length) return html`<span class="muted">—</span>`;
  return html`<span class="state-counts">${entries.map(([state, n]) => html`<span key=${state} class="state-count"><${StateBadge} state=${state} /> ${formatNumber(n)}</span>`)}</span>`;
}

export default function BatchTasksPage() {
  const { params } = useRoute();
  const name = params.get('name') ?? '';
  const state = params.get('state') ?? '';
  const group = params.get('group') ?? '';
  const size = PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : 20;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [selected, setSelected] = useState(new Set());
  const [busy, setBusy] = useState(false);
  const [search, setSearch] = useState(name);
  const [groupText, setGroupText] = useState(group);

  const listing = useAsync(
    (signal) =>
      api('~/batch-tasks', {
        signal,
        query: {
          page_num: page,
          page_size: size,
          task_state: state,
          type_like: name ? 'batch_task_name' : undefined,
          name_like: name,
          video_group: group,
        },
      }),
    [name, state, group, size, page],
  );
  usePoll(() => listing.reload(), 5000, []);
  const rows = listing.data?.batch_task_list ?? [];
  const total = listing.data?.count ?? 0;
  const chosen = rows.filter((row) => selected.has(row.id));

  const act = async (action, items) => {
    if (!items.length) return;
    if (action === 'delete' && !(await confirmDialog(t('batch.confirmDelete', { n: items.length, names: items.map((b) => b.batch_task_name).join(', ') }), { confirmLabel: t('tc.delete'), danger: true }))) return;
    setBusy(true);
    const outcome = await runEach(items, (b) => b.batch_task_name, (b) =>
      action === 'delete'
        ? api(`~/batch-tasks/${b.id}`, { method: 'DELETE' })
        : api(`~/batch-tasks/${b.id}/action/${action}`, { method: 'PUT' }),
    );
    setBusy(false);
    reportBulk(t(`tc.bulk.action.${action}`), items.length, outcome);
    setSelected(new Set());
    listing.reload();
  };

  const columns = [
    { key: 'batch_task_name', label: t('batch.name'), render: (b) => html`<a href=${link(`/tasks/batch/${b.id}/edit`)}>${b.batch_task_name}</a>` },
    { key: 'service_name', label: t('batch.algorithm'), render: (b) => html`<span class="stack"><span>${b.service_name}</span><span class="muted">${b.alg_name}</span></span>` },
    { key: 'video_group_name', label: t('batch.groups'), render: (b) => b.video_group_name || '—' },
    { key: 'num_task', label: t('batch.tasks'), className: 'num', render: (b) => html`<a href=${link('/tasks/list', { batch: b.id })}>${formatNumber(b.num_task)}</a>` },
    { key: 'states', label: t('batch.states'), render: (b) => html`<${StateCounts} info=${b.batch_task_status_info} />` },
    {
      key: 'errors',
      label: t('batch.errors'),
      className: 'num',
      render: (b) => {
        const failing = FAILING_STATES.reduce((sum, s) => sum + (b.batch_task_status_info?.[s] ?? 0), 0);
        return failing ? html`<a class="bad" href=${link('/tasks/list', { batch: b.id, failing: 1 })}>${t('batch.failingTasks', { n: failing })}</a>` : html`<span class="muted">0</span>`;
      },
    },
    { key: 'created_at', label: t('batch.created'), render: (b) => formatTime(b.created_at) },
    {
      key: 'actions',
      label: t('tc.actions'),
      render: (b) => html`
        <span class="row-actions">
          <a class="button" href=${link(`/tasks/batch/${b.id}/edit`)} aria-label=${t('batch.editNamed', { name: b.batch_task_name })}>${t('tc.edit')}</a>
          <button type="button" disabled=${busy} onClick=${() => act('start', [b])} aria-label=${t('batch.startNamed', { name: b.batch_task_name })}>${t('tc.bulk.action.start')}</button>
          <button type="button" disabled=${busy} onClick=${() => act('stop', [b])} aria-label=${t('batch.stopNamed', { name: b.batch_task_name })}>${t('tc.bulk.action.stop')}</button>
        </span>
      `,
    },
  ];

  const actions = html`
    <a class="button primary" href=${link('/tasks/batch/new')}>${t('batch.new')}</a>
  `;
  return html`
    <${Page} title=${t('batch.title')} actions=${actions}>
      <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setParams({ name: search.trim(), group: groupText.trim(), page: null }); }}>
        <${Field} label=${t('batch.filterName')}>
          <input type="search" name="name" value=${search} maxlength="100" onInput=${(e) => setSearch(e.currentTarget.value)} />
        </${Field}>
        <${Field} label=${t('batch.filterGroup')} hint=${t('batch.filterGroupHint')}>
          <input type="search" name="group" value=${groupText} onInput=${(e) => setGroupText(e.currentTarget.value)} />
        </${Field}>
        <${Field} label=${t('batch.filterState')}>
          <select name="state" value=${state} onChange=${(e) => setParams({ state: e.currentTarget.value, page: null })}>
            <option value="">${t('tc.filters.any')}</option>
            ${BATCH_STATES.map((s) => html`<option value=${s}>${t(`state.${s}`) === `state.${s}` ? s : t(`state.${s}`)}</option>`)}
          </select>
        </${Field}>
        <button type="submit">${t('tc.filters.apply')}</button>
      </form>
      <${BulkBar} chosen=${chosen} busy=${busy || (listing.loading && !listing.data)} act=${act} />
      <${ErrorBox} error=${listing.error} />
      ${listing.data
        ? html`
            <${DataTable} columns=${columns} rows=${rows} rowKey="id" selectable selected=${selected} onSelect=${setSelected} empty=${t('batch.empty')} caption=${t('batch.caption', { n: formatNumber(total) })} />
            <${ListPager} page=${page} size=${size} total=${total} />
          `
        : null}
    </${Page}>
  `;
}

// The pager under a Task Center list: pages and page size, both kept in the URL.
export function ListPager({ page, size, total }) {
  return html`
    <div class="pager-row">
      <${Pager} offset=${(page - 1) * size} limit=${size} total=${total} onChange=${(offset) => setParams({ page: offset / size + 1 })} />
      <${Field} label=${t('tc.pageSize')} className="inline">
        <select value=${String(size)} onChange=${(e) => setParams({ size: e.currentTarget.value, page: null })}>
          ${PAGE_SIZES.map((n) => html`<option value=${String(n)}>${n}</option>`)}
        </select>
      </${Field}>
    </div>
  `;
}

// Start, stop and delete for the rows selected in a Task Center list.
export function BulkBar({ chosen, busy, act }) {
  const none = !chosen.length;
  return html`
    <div class="bulk-bar" role="toolbar" aria-label=${t('tc.bulk.toolbar')}>
      <span>${t('tc.bulk.selected', { n: chosen.length })}</span>
      <button type="button" disabled=${busy || none} onClick=${() => act('start', chosen)}>${t('tc.bulk.action.start')}</button>
      <button type="button" disabled=${busy || none} onClick=${() => act('stop', chosen)}>${t('tc.bulk.action.stop')}</button>
      <button type="button" class="danger" disabled=${busy || none} onClick=${() => act('delete', chosen)}>${t('tc.bulk.action.delete')}</button>
      ${busy ? html`<${Spinner} />` : null}
    </div>
  `;
}
