// The wizard's groups-and-sources step (pickers with search and paging) and the loading of
// an existing batch task into the wizard's form.
import { html, useEffect, useState } from '../lib.js';
import { api } from '../api.js';
import { ErrorBox, Field, Pager, Spinner, useAsync } from '../components.js';
import { t } from '../i18n.js';

const PAGE = 10;

// A VIAS error of a wizard step: the message, and the detail when it says more.
export function StepError({ error }) {
  if (!error) return null;
  const detail = error.body?.detail;
  return html`
    <${ErrorBox} error=${error} />
    ${detail && detail !== error.message ? html`<p class="field-error step-error-detail">${detail}</p>` : null}
  `;
}

// groups: [{ id, name, all, sources: [{ id, name }] }]: `all` sends an empty
// video_source_list (every source of the group when the call is made).
export function batchInput(groups, roiOf) {
  return {
    video_source_group: groups.map((group) => ({
      video_source_group_id: group.id,
      video_source_list: group.all
        ? []
        : group.sources.map((source) => {
            const roi = roiOf(source.id);
            return roi ? { video_source_id: source.id, target_roi: roi } : { video_source_id: source.id };
          }),
    })),
  };
}

function useDebounced(value, ms = 250) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function SourcePicker({ group, onChange }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const query = useDebounced(search);
  const listing = useAsync(
    (signal) =>
      api('~/source/sources', {
        signal,
        query: { video_group_id: group.id, scope: query, scope_name: 'source_name', is_paged: true, page_size: PAGE, page_num: offset / PAGE + 1 },
      }),
    [group.id, query, offset],
  );
  const chosen = new Set(group.sources.map((s) => s.id));
  const toggle = (source) => {
    const sources = chosen.has(source.video_source_id)
      ? group.sources.filter((s) => s.id !== source.video_source_id)
      : [...group.sources, { id: source.video_source_id, name: source.video_source_name }];
    onChange({ ...group, sources });
  };
  const rows = listing.data?.video_source_list ?? [];
  return html`
    <div class="picker">
      <${Field} label=${t('wizard.searchSources')}>
        <input type="search" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value); setOffset(0); }} />
      </${Field}>
      <${ErrorBox} error=${listing.error} />
      ${listing.loading && !listing.data ? html`<${Spinner} />` : null}
      <ul class="picker-list" aria-label=${t('wizard.sourcesOf', { group: group.name })}>
        ${rows.map(
          (source) => html`
            <li key=${source.video_source_id}>
              <label>
                <input type="checkbox" checked=${chosen.has(source.video_source_id)} onChange=${() => toggle(source)} />
                ${source.video_source_name}
              </label>
            </li>
          `,
        )}
      </ul>
      ${listing.data && !rows.length ? html`<p class="empty">${t('wizard.noSources')}</p>` : null}
      ${listing.data ? html`<${Pager} offset=${offset} limit=${PAGE} total=${listing.data.total_number ?? rows.length} onChange=${setOffset} />` : null}
      ${group.sources.length
        ? html`<p class="field-hint">${t('wizard.chosenSources', { n: group.sources.length, names: group.sources.map((s) => s.name).join(', ') })}</p>`
        : html`<p class="field-hint field-error">${t('wizard.chooseSources')}</p>`}
    </div>
  `;
}

// props: groups, onChange(groups), error (a VIAS error of this step)
export function GroupSourcePicker({ groups, onChange, error }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const query = useDebounced(search);
  const listing = useAsync(
    (signal) => api('~/video-group/groups', { signal, query: { name: query, is_paged: true, page_size: PAGE, page_num: offset / PAGE + 1 } }),
    [query, offset],
  );
  const chosen = new Set(groups.map((g) => g.id));
  const toggle = (group) => {
    if (chosen.has(group.video_group_id)) onChange(groups.filter((g) => g.id !== group.video_group_id));
    else onChange([...groups, { id: group.video_group_id, name: group.video_group_name, count: group.num_video_source, all: true, sources: [] }]);
  };
  const replace = (next) => onChange(groups.map((g) => (g.id === next.id ? next : g)));
  const rows = listing.data?.video_group_list ?? [];
  return html`
    <div class="wizard-sources">
      <fieldset class="picker">
        <legend>${t('wizard.groups')}</legend>
        <${Field} label=${t('wizard.searchGroups')} hint=${t('wizard.searchGroupsHint')}>
          <input type="search" maxlength="20" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value); setOffset(0); }} />
        </${Field}>
        <${ErrorBox} error=${listing.error} />
        ${listing.loading && !listing.data ? html`<${Spinner} />` : null}
        <ul class="picker-list" aria-label=${t('wizard.groupResults')}>
          ${rows.map(
            (group) => html`
              <li key=${group.video_group_id}>
                <label>
                  <input type="checkbox" checked=${chosen.has(group.video_group_id)} onChange=${() => toggle(group)} />
                  ${group.video_group_name} <span class="muted">${t('wizard.groupCount', { n: group.num_video_source })}</span>
                </label>
              </li>
            `,
          )}
        </ul>
        ${listing.data && !rows.length ? html`<p class="empty">${t('wizard.noGroups')}</p>` : null}
        ${listing.data ? html`<${Pager} offset=${offset} limit=${PAGE} total=${listing.data.total_number ?? rows.length} onChange=${setOffset} />` : null}
      </fieldset>
      ${groups.map(
        (group) => html`
          <fieldset class="chosen-group" key=${group.id}>
            <legend>${group.name}</legend>
            <div class="radio-row" role="radiogroup" aria-label=${t('wizard.sourcesOf', { group: group.name })}>
              <label><input type="radio" name=${`mode-${group.id}`} checked=${group.all} onChange=${() => replace({ ...group, all: true })} /> ${t('wizard.allSources')}</label>
              <label><input type="radio" name=${`mode-${group.id}`} checked=${!group.all} onChange=${() => replace({ ...group, all: false })} /> ${t('wizard.someSources')}</label>
            </div>
            ${group.all ? html`<p class="field-hint">${t('wizard.allSourcesHint')}</p>` : html`<${SourcePicker} group=${group} onChange=${replace} />`}
            <button type="button" class="danger" onClick=${() => onChange(groups.filter((g) => g.id !== group.id))}>${t('wizard.removeGroup', { group: group.name })}</button>
          </fieldset>
        `,
      )}
      ${!groups.length ? html`<p class="field-hint">${t('wizard.chooseGroup')}</p>` : null}
      <${StepError} error=${error} />
    </div>
  `;
}

async function inBatches(items, size, fn) {
  const results = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  }
  return results;
}

// An existing batch task as the wizard's starting point. There is no ShowBatchTask in VIAS:
// its member tasks (ListTasks?batch_id=) carry what it is (ShowTaskInfo: the batch's
// configuration, outputs and schedule, and each member's source and ROI), and a member's
// group is the one of its source's groups that lists the member (ListTasks?video_group_id=).
export async function loadBatch(batchId, signal) {
  const listing = await api('~/tasks', { signal, query: { batch_id: batchId, page_size: 1000, page: 1 } });
  const ids = (listing?.tasks ?? []).map((task) => task.id);
  if (!ids.length) throw new Error(t('wizard.batchNotFound', { id: batchId }));
  const members = await inBatches(ids, 8, (id) => api(`~/tasks/${id}`, { signal }));
  const sourceIds = [...new Set(members.map((m) => m.input?.data?.[0]?.video_source_id).filter(Boolean))];
  const sources = new Map(
    (await inBatches(sourceIds, 8, (id) => api(`~/source/sources/${encodeURIComponent(id)}`, { signal }))).map((s) => [s.video_source_id, s]),
  );
  const groupMembers = new Map();
  const membersOfGroup = async (groupId) => {
    if (!groupMembers.has(groupId)) {
      const found = await api('~/tasks', { signal, query: { batch_id: batchId, video_group_id: groupId, page_size: 1000, page: 1 } });
      groupMembers.set(groupId, new Set((found?.tasks ?? []).map((task) => task.id)));
    }
    return groupMembers.get(groupId);
  };
  const groups = new Map();
  const rois = {};
  for (const member of members) {
    const sourceId = member.input?.data?.[0]?.video_source_id;
    const source = sources.get(sourceId);
    if (!source) continue;
    let packages = source.video_packages ?? [];
    if (packages.length > 1) {
      const owners = [];
      for (const pkg of packages) if ((await membersOfGroup(pkg.video_group_id)).has(member.id)) owners.push(pkg);
      packages = owners;
    }
    const pkg = packages[0];
    if (!pkg) continue;
    if (!groups.has(pkg.video_group_id)) {
      groups.set(pkg.video_group_id, { id: pkg.video_group_id, name: pkg.video_group_name, count: pkg.num_video_source, all: false, sources: [] });
    }
    groups.get(pkg.video_group_id).sources.push({ id: sourceId, name: source.video_source_name });
    const roi = member.config?.common?.target_roi;
    if (roi) rois[sourceId] = { text: roi, shapes: null, size: null };
  }
  const first = members[0];
  const common = { ...(first.config?.common ?? {}) };
  delete common.target_roi;
  return {
    name: first.name,
    description: first.description ?? '',
    serviceName: first.service_name,
    version: first.service_version,
    orderId: first.resource_order_id ?? '',
    common,
    groups: [...groups.values()],
    rois,
    output: first.output ?? {},
    schedule: first.schedule ?? null,
  };
}
