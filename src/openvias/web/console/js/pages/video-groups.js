// Video Center, groups: #/video/groups (list), #/video/groups/new, #/video/groups/<id> (name,
// description and members). Search, filters and page live in the URL.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { link, navigate, setParams } from '../router.js';
import { DataTable, ErrorBox, Field, Page, Pager, Spinner, formatTime, notify, useAsync } from '../components.js';
import { GroupDetail, deleteGroups } from './video-group-detail.js';
import {
  FilterSearch, FilterSelect, MoreFilters, PageSize, errorFor, pageChanger, pageFromParams, pagingQuery, useSearchParam, viasError,
} from './video-shared.js';

const LIST = '/video/groups';
const SORTS = ['create_at.desc', 'create_at.asc', 'modify_at.desc', 'num_video_source.desc', 'num_task.desc'];

function Filters({ params }) {
  const [search, setSearch] = useSearchParam(params, 'q');
  const select = (key, label, options) => html`<${FilterSelect} id=${`video-groups-${key}`} label=${label}
    value=${params.get(key) ?? ''} options=${options} onChange=${(value) => setParams({ [key]: value, page: null })} />`;
  const any = ['', t('video.sources.filter.any')];
  return html`
    <form class="video-filters" role="search" onSubmit=${(e) => { e.preventDefault(); setParams({ q: search.trim(), page: null }); }}>
      <${FilterSearch} id="video-groups-q" label=${t('video.groups.search')} value=${search} onInput=${setSearch} maxLength="20" />
      <${MoreFilters} id="video-groups-more" active=${['state', 'access', 'sort', 'tasks'].filter((key) => params.get(key)).length}>
      ${select('state', t('video.groups.filter.state'), [any, ...['1', '2', '9'].map((v) => [v, t(`video.state.${v}`)])])}
      ${select('access', t('video.sources.filter.access'), [any, ['cloud', t('video.access.cloud')], ['edge', t('video.access.edge')]])}
      ${select('sort', t('video.sources.filter.sort'), SORTS.map((v) => [v === SORTS[0] ? '' : v, t(`video.groups.sort.${v}`)]))}
      <label class="video-check video-filter-check">
        <input type="checkbox" name="tasks" checked=${params.get('tasks') === '1'}
          onChange=${(e) => setParams({ tasks: e.currentTarget.checked ? '1' : null, page: null })} />
        <span>${t('video.groups.filter.hasTask')}</span>
      </label>
      <//>
    </form>`;
}

function listQuery(params) {
  const [sortName, order] = (params.get('sort') || SORTS[0]).split('.');
  return {
    ...pagingQuery(pageFromParams(params)),
    name: params.get('q') || undefined,
    status: params.get('state') || undefined,
    access_type: params.get('access') || undefined,
    has_task: params.get('tasks') === '1' ? true : undefined,
    sort_name: sortName,
    order_by: order,
  };
}

const COLUMNS = [
  {
    key: 'video_group_name',
    label: t('video.groups.col.name'),
    className: 'video-col-name',
    render: (g) => html`<a href=${link(`${LIST}/${g.video_group_id}`)}>${g.video_group_name}</a>`,
  },
  { key: 'description', label: t('video.groups.col.description'), className: 'video-col-description' },
  { key: 'num_video_source', label: t('video.groups.col.sources'), className: 'num' },
  {
    key: 'group_status',
    label: t('video.groups.col.status'),
    render: ({ group_status: s }) => html`<span class="video-counts">
      <span class=${s.num_online ? 'video-count-good' : ''}>${s.num_online}</span> / <span>${s.num_offline}</span> / <span class=${s.num_exception ? 'video-count-bad' : ''}>${s.num_exception}</span>
    </span>`,
  },
  { key: 'num_batch_task', label: t('video.groups.col.batchTasks'), className: 'num' },
  { key: 'access_type', label: t('video.col.access'), render: (g) => t(`video.access.${g.access_type}`) },
  { key: 'modify_at', label: t('video.groups.col.modified'), className: 'video-col-created', render: (g) => formatTime(g.modify_at) },
];

function GroupList({ route }) {
  const { params } = route;
  const query = listQuery(params);
  const { page, size } = pageFromParams(params);
  const list = useAsync((signal) => api('~/video-group/groups', { signal, query }), [JSON.stringify(query)]);
  const [selected, setSelected] = useState(() => new Set());
  const rows = list.data?.video_group_list ?? [];
  const total = list.data?.total_number ?? 0;
  const chosen = rows.filter((g) => selected.has(g.video_group_id));
  const removeChosen = async () => {
    await deleteGroups(chosen);
    setSelected(new Set());
    if (chosen.length === rows.length && page > 1) setParams({ page: page - 1 });
    else list.reload();
  };
  const filtered = ['q', 'state', 'access', 'tasks'].some((key) => params.get(key));
  const actions = html`
    ${chosen.length
      ? html`<button type="button" class="danger" onClick=${removeChosen}>${t('video.groups.deleteSelected', { count: chosen.length })}</button>`
      : null}
    <a class="button primary" href=${link(`${LIST}/new`)}>${t('video.groups.new')}</a>`;
  return html`
    <${Page} title=${t('video.groups.title')} actions=${actions}>
      <${Filters} params=${params} />
      <${ErrorBox} error=${viasError(list.error)} />
      <div class="video-list-status">
        ${list.data ? html`<span>${t('video.groups.count', { total: formatNumber(total) })}</span>` : null}
        ${list.loading ? html`<${Spinner} />` : null}
      </div>
      ${list.data
        ? html`<div class="video-table"><${DataTable} columns=${COLUMNS} rows=${rows} rowKey="video_group_id" selectable
            selected=${selected} onSelect=${setSelected}
            empty=${filtered ? t('video.groups.empty') : t('video.groups.emptyAll')} /></div>`
        : null}
      ${total > 0
        ? html`<div class="video-paging">
            <${Pager} offset=${(page - 1) * size} limit=${size} total=${total} onChange=${pageChanger(size)} />
            <${PageSize} id="video-groups-size" size=${size} />
          </div>`
        : null}
    <//>`;
}

// Name, description and access type of a new group; its sources are added afterwards.
function NewGroup() {
  const [fields, setFields] = useState({ name: '', description: '', access: 'cloud' });
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = (key) => (e) => setFields({ ...fields, [key]: e.currentTarget.value });
  const submit = async (event) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = { video_group_name: fields.name.trim(), description: fields.description, access_type: fields.access };
      const created = await api('~/video-group', { method: 'POST', body });
      notify(t('video.groups.created', { name: body.video_group_name }));
      navigate(`${LIST}/${created.video_group_id}`);
    } catch (e) {
      setError(e);
      setSaving(false);
    }
  };
  const nameError = errorFor(error, 'video_group_name');
  const descriptionError = errorFor(error, 'description');
  return html`
    <${Page} title=${t('video.groups.createTitle')}
      actions=${html`<a class="button" href=${link(LIST)}>${t('video.groups.back')}</a>`}>
      <form class="video-form" onSubmit=${submit} novalidate>
        ${error && !nameError && !descriptionError ? html`<${ErrorBox} error=${viasError(error)} />` : null}
        <${Field} label=${t('video.groups.name')} hint=${t('video.groups.name.hint')} error=${nameError}>
          <input name="name" value=${fields.name} maxlength="20" autocomplete="off" onInput=${set('name')} />
        <//>
        <${Field} label=${t('video.groups.description')} hint=${t('video.groups.description.hint')} error=${descriptionError}>
          <textarea name="description" rows="3" maxlength="100" value=${fields.description} onInput=${set('description')}></textarea>
        <//>
        <${Field} label=${t('video.form.access')}>
          <select name="access" value=${fields.access} onChange=${set('access')}>
            <option value="cloud">${t('video.access.cloud')}</option>
            <option value="edge">${t('video.access.edge')}</option>
          </select>
        <//>
        <div class="form-actions">
          <button type="submit" class="primary" disabled=${saving}>${saving ? t('video.form.saving') : t('video.groups.create')}</button>
          <a class="button" href=${link(LIST)}>${t('video.form.cancel')}</a>
        </div>
      </form>
    <//>`;
}

export default function VideoGroupsPage({ route }) {
  const [, , id] = route.parts;
  if (id === 'new') return html`<${NewGroup} />`;
  if (id) return html`<${GroupDetail} key=${id} id=${id} route=${route} />`;
  return html`<${GroupList} route=${route} />`;
}
