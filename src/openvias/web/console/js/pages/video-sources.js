// Video Center, sources: #/video/sources (list), #/video/sources/new, #/video/sources/<id>,
// #/video/sources/<id>/edit. The list pages on the server (ListVideoSources is_paged) and keeps
// its search, filters and page in the URL.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { link, navigate, setParams } from '../router.js';
import {
  DataTable, ErrorBox, Page, Pager, Spinner, StateBadge, confirmDialog, formatTime, notify, useAsync,
} from '../components.js';
import { SOURCE_TYPES, SourceForm, kindOf } from './video-source-form.js';
import { SourceDetail } from './video-source-detail.js';
import {
  FilterSearch, FilterSelect, MoreFilters, PageSize, eachInTurn, pageChanger, pageFromParams, pagingQuery, useSearchParam,
  viasError, viasText,
} from './video-shared.js';

const STATES = ['1', '2', '9'];
const SORTS = ['create_at.desc', 'create_at.asc', 'num_task.desc', 'num_task.asc'];
const LIST = '/video/sources';

const sourcePath = (id) => `~/source/sources/${encodeURIComponent(id)}`;

// Deletes sources one by one after one confirmation; says what failed and why.
async function deleteSources(sources) {
  const question = sources.length === 1
    ? t('video.sources.confirmDelete', { name: sources[0].video_source_name })
    : t('video.sources.confirmDeleteMany', { count: sources.length });
  if (!(await confirmDialog(question, { confirmLabel: t('video.detail.delete'), danger: true }))) return false;
  const failures = await eachInTurn(sources, (s) => api(`~/source/${encodeURIComponent(s.video_source_id)}`, { method: 'DELETE' }));
  failures.forEach(({ item, error }) => notify(t('video.sources.deleteFailed', { name: item.video_source_name, message: viasText(error) }), 'error'));
  const done = sources.length - failures.length;
  if (done) notify(done === 1 ? t('video.sources.deleted') : t('video.sources.deletedMany', { count: done }));
  return failures.length === 0;
}

// The groups offered by the group filter and the create form (the newest 200).
function useGroupChoices() {
  return useAsync(
    (signal) => api('~/video-group/groups', { signal, query: { is_paged: true, page_size: 200, page_num: 1 } }),
    [],
  );
}

function Filters({ params, groups }) {
  const [search, setSearch] = useSearchParam(params, 'q');
  const [tag, setTag] = useSearchParam(params, 'tag');
  const select = (key, label, options) => html`<${FilterSelect} id=${`video-sources-${key}`} label=${label}
    value=${params.get(key) ?? ''} options=${options} onChange=${(value) => setParams({ [key]: value, page: null })} />`;
  const any = ['', t('video.sources.filter.any')];
  const groupList = groups?.video_group_list ?? [];
  const chosenGroup = params.get('group') ?? '';
  const groupOptions = groupList.map((g) => [g.video_group_id, g.video_group_name]);
  if (chosenGroup && !groupOptions.some(([id]) => id === chosenGroup)) groupOptions.push([chosenGroup, chosenGroup]);
  const filtered = ['q', 'in', 'type', 'state', 'group', 'access', 'tag', 'sort'].some((key) => params.get(key));
  return html`
    <form class="video-filters" role="search" onSubmit=${(e) => { e.preventDefault(); setParams({ q: search.trim(), page: null }); }}>
      <${FilterSearch} id="video-sources-q" label=${t('video.sources.search')} value=${search} onInput=${setSearch} />
      <${MoreFilters} id="video-sources-more" active=${['in', 'type', 'state', 'group', 'access', 'tag', 'sort'].filter((key) => params.get(key)).length}>
      ${select('in', t('video.sources.searchIn'), [
        ['', t('video.sources.searchIn.source_name')], ['group_name', t('video.sources.searchIn.group_name')],
      ])}
      ${select('type', t('video.sources.filter.type'), [any, ...SOURCE_TYPES.map((v) => [v, t(`video.type.${v}`)])])}
      ${select('state', t('video.sources.filter.state'), [any, ...STATES.map((v) => [v, t(`video.state.${v}`)])])}
      ${select('group', t('video.sources.filter.group'), [any, ...groupOptions])}
      ${select('access', t('video.sources.filter.access'), [any, ['cloud', t('video.access.cloud')], ['edge', t('video.access.edge')]])}
      <${FilterSearch} id="video-sources-tag" label=${t('video.sources.filter.tag')} value=${tag} onInput=${setTag} className="video-filter-tag" />
      ${select('sort', t('video.sources.filter.sort'), SORTS.map((v) => [v === SORTS[0] ? '' : v, t(`video.sources.sort.${v}`)]))}
      ${filtered
        ? html`<button type="button" class="link" onClick=${() => setParams({ q: null, in: null, type: null, state: null, group: null, access: null, tag: null, sort: null, page: null })}>
            ${t('video.sources.filter.clear')}</button>`
        : null}
      <//>
      ${groups && groups.total_number > groupList.length
        ? html`<p class="hint video-filters-note">${t('video.sources.filter.groupsMore', { shown: groupList.length, total: groups.total_number })}</p>`
        : null}
    </form>`;
}

function listQuery(params) {
  const [sortName, order] = (params.get('sort') || SORTS[0]).split('.');
  return {
    ...pagingQuery(pageFromParams(params)),
    scope: params.get('q') || undefined,
    scope_name: params.get('in') === 'group_name' ? 'group_name' : undefined,
    type: params.get('type') || undefined,
    status: params.get('state') || undefined,
    video_group_id: params.get('group') || undefined,
    access_type: params.get('access') || undefined,
    tag: params.get('tag') || undefined,
    sort_name: sortName,
    order_by: order,
  };
}

const COLUMNS = [
  {
    key: 'video_source_name',
    label: t('video.col.name'),
    className: 'video-col-name',
    render: (s) => html`<a href=${link(`${LIST}/${s.video_source_id}`)}>${s.video_source_name}</a>`,
  },
  { key: 'type', label: t('video.col.type'), className: 'video-col-kind', render: (s) => t(`video.kind.${kindOf(s)}`) },
  { key: 'stream_path', label: t('video.col.address'), className: 'video-col-address', render: (s) => html`<code>${s.stream_path}</code>` },
  { key: 'status', label: t('video.col.state'), render: (s) => html`<${StateBadge} state=${s.status.status} />` },
  {
    key: 'video_packages',
    label: t('video.col.groups'),
    className: 'video-col-groups',
    render: (s) => s.video_packages.map((g) => g.video_group_name).join(', '),
  },
  { key: 'num_tasks', label: t('video.col.tasks'), className: 'num' },
  { key: 'create_at', label: t('video.col.created'), className: 'video-col-created', render: (s) => formatTime(s.create_at) },
];

function SourceList({ route }) {
  const { params } = route;
  const query = listQuery(params);
  const queryKey = JSON.stringify(query);
  const { page, size } = pageFromParams(params);
  const list = useAsync((signal) => api('~/source/sources', { signal, query }), [queryKey]);
  const groups = useGroupChoices();
  const [selected, setSelected] = useState(() => new Set());
  const rows = list.data?.video_source_list ?? [];
  const total = list.data?.total_number ?? 0;
  const chosen = rows.filter((s) => selected.has(s.video_source_id));

  const removeChosen = async () => {
    await deleteSources(chosen);
    setSelected(new Set());
    // the page may now be past the end: go back one when it emptied
    if (chosen.length === rows.length && page > 1) setParams({ page: page - 1 });
    else list.reload();
  };
  const filteredOut = ['q', 'type', 'state', 'group', 'access', 'tag'].some((key) => params.get(key));
  const actions = html`
    ${chosen.length
      ? html`<button type="button" class="danger" onClick=${removeChosen}>${t('video.sources.deleteSelected', { count: chosen.length })}</button>`
      : null}
    <a class="button primary" href=${link(`${LIST}/new`)}>${t('video.sources.new')}</a>`;
  return html`
    <${Page} title=${t('video.sources.title')} actions=${actions}>
      <${Filters} params=${params} groups=${groups.data} />
      <${ErrorBox} error=${viasError(list.error)} />
      <div class="video-list-status">
        ${list.data ? html`<span>${t('video.sources.count', { total: formatNumber(total) })}</span>` : null}
        ${list.loading ? html`<${Spinner} />` : null}
      </div>
      ${list.data
        ? html`<div class="video-table"><${DataTable} columns=${COLUMNS} rows=${rows} rowKey="video_source_id" selectable
            selected=${selected} onSelect=${setSelected}
            empty=${filteredOut ? t('video.sources.empty') : t('video.sources.emptyAll')} /></div>`
        : null}
      ${total > 0
        ? html`<div class="video-paging">
            <${Pager} offset=${(page - 1) * size} limit=${size} total=${total} onChange=${pageChanger(size)} />
            <${PageSize} id="video-sources-size" size=${size} />
          </div>`
        : null}
    <//>`;
}

function NewSource() {
  const groups = useGroupChoices();
  return html`
    <${Page} title=${t('video.form.createTitle')}
      actions=${html`<a class="button" href=${link(LIST)}>${t('video.detail.back')}</a>`}>
      <${SourceForm} groups=${groups.data?.video_group_list ?? []}
        onDone=${(id) => navigate(`${LIST}/${id}`)} onCancel=${() => navigate(LIST)} />
    <//>`;
}

function OneSource({ id, editing }) {
  const shown = useAsync((signal) => api(sourcePath(id), { signal }), [id, editing]);
  const source = shown.data;
  if (!source) {
    return html`<${Page} title=${t('video.sources.title')}
      actions=${html`<a class="button" href=${link(LIST)}>${t('video.detail.back')}</a>`}>
      ${shown.error ? html`<${ErrorBox} error=${viasError(shown.error)} />` : html`<${Spinner} />`}
    <//>`;
  }
  if (editing) {
    return html`
      <${Page} title=${t('video.form.editTitle', { name: source.video_source_name })}
        actions=${html`<a class="button" href=${link(`${LIST}/${id}`)}>${t('video.form.cancel')}</a>`}>
        <${SourceForm} source=${source} onDone=${() => navigate(`${LIST}/${id}`)}
          onCancel=${() => navigate(`${LIST}/${id}`)} />
      <//>`;
  }
  const remove = async () => {
    if (await deleteSources([source])) navigate(LIST);
  };
  const actions = html`
    <a class="button" href=${link(LIST)}>${t('video.detail.back')}</a>
    <a class="button" href=${link(`${LIST}/${id}/edit`)}>${t('video.detail.edit')}</a>
    <button type="button" class="danger" onClick=${remove}>${t('video.detail.delete')}</button>`;
  return html`
    <${Page} title=${source.video_source_name} actions=${actions}>
      <${SourceDetail} key=${id} source=${source} />
    <//>`;
}

export default function VideoSourcesPage({ route }) {
  const [, , id, action] = route.parts;
  if (id === 'new') return html`<${NewSource} />`;
  if (id) return html`<${OneSource} key=${id} id=${id} editing=${action === 'edit'} />`;
  return html`<${SourceList} route=${route} />`;
}
