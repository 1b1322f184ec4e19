// One video group: its name and description, its sources, and a picker to add more.
// UpdateVideoGroup replaces the member list, so every change sends the whole new list.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { link, navigate, setParams } from '../router.js';
import { DataTable, ErrorBox, Field, Page, Pager, Spinner, StateBadge, confirmDialog, notify, useAsync } from '../components.js';
import { kindOf } from './video-source-form.js';
import { FilterSearch, eachInTurn, errorFor, memberIds, useSearchParam, viasError, viasText } from './video-shared.js';

const PAGE = 10;
const groupPath = (id) => `~/video-group/${encodeURIComponent(id)}`;

// Deletes groups one by one after one confirmation; says what failed and why.
export async function deleteGroups(groups) {
  const question = groups.length === 1
    ? t('video.groups.confirmDelete', { name: groups[0].video_group_name })
    : t('video.groups.confirmDeleteMany', { count: groups.length });
  if (!(await confirmDialog(question, { confirmLabel: t('video.groups.delete'), danger: true }))) return false;
  const failures = await eachInTurn(groups, (g) => api(groupPath(g.video_group_id), { method: 'DELETE' }));
  failures.forEach(({ item, error }) => notify(t('video.sources.deleteFailed', { name: item.video_group_name, message: viasText(error) }), 'error'));
  const done = groups.length - failures.length;
  if (done) notify(done === 1 ? t('video.groups.deleted') : t('video.groups.deletedMany', { count: done }));
  return failures.length === 0;
}

// UpdateVideoGroup with the group's whole new member list (and name/description changes).
async function saveGroup(group, memberList, changes = {}) {
  await api(groupPath(group.video_group_id), { method: 'PUT', body: { video_source_ids: memberList, ...changes } });
}

function sourceColumns(groupId) {
  return [
    {
      key: 'video_source_name',
      label: t('video.col.name'),
      className: 'video-col-name',
      render: (s) => html`<a href=${link(`/video/sources/${s.video_source_id}`)}>${s.video_source_name}</a>
        ${groupId && s.video_packages.some((g) => g.video_group_id === groupId)
          ? html`<span class="badge badge-neutral video-in-group">${t('video.groups.inGroup')}</span>` : null}`,
    },
    { key: 'type', label: t('video.col.type'), className: 'video-col-kind', render: (s) => t(`video.kind.${kindOf(s)}`) },
    { key: 'stream_path', label: t('video.col.address'), className: 'video-col-address', render: (s) => html`<code>${s.stream_path}</code>` },
    { key: 'status', label: t('video.col.state'), render: (s) => html`<${StateBadge} state=${s.status.status} />` },
  ];
}

// A page of sources (searchable) with selection; `queryKey`/`pageKey` name its URL keys.
function SourcePage({ params, queryKey, pageKey, filter, columns, empty, selected, onSelect, reloadRound, label, countKey }) {
  const [search, setSearch] = useSearchParam(params, queryKey, pageKey);
  const page = Math.max(1, Number(params.get(pageKey)) || 1);
  const scope = params.get(queryKey) || undefined;
  const list = useAsync(
    (signal) => api('~/source/sources', {
      signal,
      query: { ...filter, scope, is_paged: true, page_size: PAGE, page_num: page },
    }),
    [scope, page, reloadRound, JSON.stringify(filter)],
  );
  const rows = list.data?.video_source_list ?? [];
  const total = list.data?.total_number ?? 0;
  return html`
    <div class="video-source-page">
      <form role="search" class="video-filters" onSubmit=${(e) => { e.preventDefault(); setParams({ [queryKey]: search.trim(), [pageKey]: null }); }}>
        <${FilterSearch} id=${`video-group-${queryKey}`} label=${label} value=${search} onInput=${setSearch} />
        ${list.loading ? html`<${Spinner} />` : null}
      </form>
      <${ErrorBox} error=${viasError(list.error)} />
      ${list.data
        ? html`<div class="video-table"><${DataTable} columns=${columns} rows=${rows} rowKey="video_source_id" selectable
            selected=${selected} onSelect=${onSelect} empty=${empty} /></div>`
        : null}
      ${total > PAGE
        ? html`<${Pager} offset=${(page - 1) * PAGE} limit=${PAGE} total=${total}
            onChange=${(offset) => setParams({ [pageKey]: offset / PAGE + 1 })} />`
        : null}
      ${list.data ? html`<p class="hint">${t(countKey, { total: formatNumber(total) })}</p>` : null}
    </div>`;
}

// The name and description form.
function GroupSettings({ group, onSaved }) {
  const [fields, setFields] = useState({ name: group.video_group_name, description: group.description });
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const members = await memberIds(group.video_group_id);
      await saveGroup(group, members, { video_group_name: fields.name.trim(), description: fields.description });
      notify(t('video.groups.saved'));
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  const nameError = errorFor(error, 'video_group_name');
  const descriptionError = errorFor(error, 'description');
  return html`
    <form class="video-form video-group-settings" onSubmit=${submit} novalidate aria-labelledby="video-group-settings-title">
      <h2 id="video-group-settings-title">${t('video.groups.details')}</h2>
      ${error && !nameError && !descriptionError ? html`<${ErrorBox} error=${viasError(error)} />` : null}
      ${errorFor(error, 'video_source_ids') ? html`<p class="hint">${t('video.groups.membershipRule')}</p>` : null}
      <${Field} label=${t('video.groups.name')} hint=${t('video.groups.name.hint')} error=${nameError}>
        <input name="name" value=${fields.name} maxlength="20" autocomplete="off"
          onInput=${(e) => setFields({ ...fields, name: e.currentTarget.value })} />
      <//>
      <${Field} label=${t('video.groups.description')} error=${descriptionError}>
        <textarea name="description" rows="2" maxlength="100" value=${fields.description}
          onInput=${(e) => setFields({ ...fields, description: e.currentTarget.value })}></textarea>
      <//>
      <div class="form-actions">
        <button type="submit" class="primary" disabled=${saving}>${saving ? t('video.form.saving') : t('video.form.save')}</button>
      </div>
    </form>`;
}

function Members({ group, params, round, onChanged }) {
  const [selected, setSelected] = useState(() => new Set());
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const adding = params.get('add') === '1';
  const [picked, setPicked] = useState(() => new Set());

  const change = async (compute, question, done) => {
    if (question && !(await confirmDialog(question, { danger: true, confirmLabel: t('video.groups.remove') }))) return;
    setBusy(true);
    setError(null);
    try {
      const members = await memberIds(group.video_group_id);
      await saveGroup(group, compute(members));
      notify(done);
      setSelected(new Set());
      setPicked(new Set());
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = () => change(
    (members) => members.filter((id) => !selected.has(id)),
    t('video.groups.confirmRemove', { count: selected.size }),
    t('video.groups.removed', { count: selected.size }),
  );
  const add = () => change(
    (members) => [...new Set([...members, ...picked])],
    null,
    t('video.groups.added', { count: picked.size }),
  );
  return html`
    <section class="video-members" aria-labelledby="video-members-title">
      <div class="video-section-head">
        <h2 id="video-members-title">${t('video.groups.members')}</h2>
        <div class="video-section-actions">
          ${selected.size
            ? html`<button type="button" class="danger" disabled=${busy} onClick=${remove}>${t('video.groups.removeSelected', { count: selected.size })}</button>`
            : null}
          <button type="button" aria-expanded=${adding} aria-controls="video-picker"
            onClick=${() => setParams({ add: adding ? null : '1', pq: null, ppage: null })}>
            ${adding ? t('video.groups.close') : t('video.groups.addSources')}
          </button>
        </div>
      </div>
      <p class="hint video-membership-rule">${t('video.groups.membershipRule')}</p>
      <${ErrorBox} error=${viasError(error)} />
      ${adding
        ? html`<section id="video-picker" class="video-picker" aria-labelledby="video-picker-title">
            <div class="video-section-head">
              <h3 id="video-picker-title">${t('video.groups.pickerTitle', { name: group.video_group_name })}</h3>
              <button type="button" class="primary" disabled=${busy || picked.size === 0} onClick=${add}>
                ${t('video.groups.addSelected', { count: picked.size })}
              </button>
            </div>
            <${SourcePage} params=${params} queryKey="pq" pageKey="ppage" filter=${{}}
              columns=${sourceColumns(group.video_group_id)} empty=${t('video.groups.pickerEmpty')}
              selected=${picked} onSelect=${setPicked} reloadRound=${round} label=${t('video.sources.search')}
              countKey="video.sources.count" />
          </section>`
        : null}
      <${SourcePage} params=${params} queryKey="q" pageKey="page" filter=${{ video_group_id: group.video_group_id }}
        columns=${sourceColumns(null)} empty=${t('video.groups.noMembers')}
        selected=${selected} onSelect=${setSelected} reloadRound=${round} label=${t('video.groups.searchMembers')}
        countKey="video.groups.membersCount" />
    </section>`;
}

export function GroupDetail({ id, route }) {
  const [round, setRound] = useState(0);
  const shown = useAsync((signal) => api(groupPath(id), { signal }), [id, round]);
  const group = shown.data;
  const back = html`<a class="button" href=${link('/video/groups')}>${t('video.groups.back')}</a>`;
  if (!group) {
    return html`<${Page} title=${t('video.groups.title')} actions=${back}>
      ${shown.error ? html`<${ErrorBox} error=${viasError(shown.error)} />` : html`<${Spinner} />`}
    <//>`;
  }
  const remove = async () => {
    if (await deleteGroups([group])) navigate('/video/groups');
  };
  const actions = html`${back}<button type="button" class="danger" onClick=${remove}>${t('video.groups.delete')}</button>`;
  return html`
    <${Page} title=${group.video_group_name} actions=${actions}>
      <p class="video-group-summary">
        ${t('video.groups.summary', { sources: formatNumber(group.num_video_source), tasks: formatNumber(group.num_batch_task) })}
        ${group.description ? html`<span class="video-group-description">${group.description}</span>` : null}
      </p>
      <div class="video-group-layout">
        <${GroupSettings} key=${group.modify_at} group=${group} onSaved=${() => setRound((n) => n + 1)} />
        <${Members} group=${group} params=${route.params} round=${round} onChanged=${() => setRound((n) => n + 1)} />
      </div>
    <//>`;
}
